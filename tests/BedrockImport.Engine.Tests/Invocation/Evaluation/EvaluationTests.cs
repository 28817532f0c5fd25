using BedrockImport.Engine.Invocation.Evaluation;

namespace BedrockImport.Engine.Tests.Invocation.Evaluation;

public class EvaluationTests
{
    private static readonly MultipleChoiceItem Brass =
        new("8939", "次のうち、金管楽器であるのはどれ？", new[] { "トランペット", "ガラス", "メビウス", "メタル", "設計" }, 0);

    private static List<MultipleChoiceItem> Items(int count) => Enumerable.Range(0, count)
        .Select(i => new MultipleChoiceItem("q" + i, "問" + i + "は？", new[] { "いぬ", "ねこ", "とり", "さかな", "うま" }, i % 5)).ToList();

    [Fact]
    public void The_default_prompt_is_byte_identical_to_the_field_report()
    {
        // Copied from the field report's JCommonsenseQA prompt block.
        const string expected =
            "### 例 ###\n" +
            "質問: 電子機器で使用される最も主要な電子回路基板の事をなんと言う？\n" +
            "choice0: 掲示板\nchoice1: パソコン\nchoice2: マザーボード\nchoice3: ハードディスク\nchoice4: まな板\n" +
            "回答: <answer>マザーボード</answer>\n\n" +
            "質問: 次のうち、金管楽器であるのはどれ？\n" +
            "choice0: トランペット\nchoice1: ガラス\nchoice2: メビウス\nchoice3: メタル\nchoice4: 設計\n" +
            "回答:";
        Assert.Equal(expected, new PromptBuilder().Build(Brass).Text);
    }

    [Fact]
    public void Shots_never_include_the_item_itself()
    {
        var pool = Items(4);
        var builder = new PromptBuilder(shots: 2, examplePool: pool);
        Assert.Equal(new[] { "q1", "q2" }, builder.ExamplesFor(pool[0]).Select(e => e.Id));
        var sameQuestion = new MultipleChoiceItem("other", pool[1].Question, pool[1].Choices, 0);
        Assert.Equal(new[] { "q0", "q2" }, builder.ExamplesFor(sameQuestion).Select(e => e.Id));
    }

    [Fact]
    public void Unknown_template_placeholders_are_rejected_and_braces_escape()
    {
        Assert.Throws<FormatException>(() => new PromptBuilder("{nope}"));
        Assert.Equal("{Q:問0は？} いぬ", new PromptBuilder("{{Q:{question}}} {choice0}", shots: 0).Build(Items(1)[0]).Text);
    }

    [Theory]
    [InlineData(" <answer>トランペット</answer>", 0, AnswerRule.AnswerTag)]
    [InlineData(" <answer>トランペット", 0, AnswerRule.AnswerTag)]
    [InlineData("<answer>２</answer>", 2, AnswerRule.ChoiceIndex)]
    [InlineData("choice3", 3, AnswerRule.ChoiceIndex)]
    [InlineData("(1)", 1, AnswerRule.ChoiceIndex)]
    [InlineData("メビウス\n続き", 2, AnswerRule.ExactText)]
    [InlineData("<answer>「ﾄﾗﾝﾍﾟｯﾄ」。</answer>", 0, AnswerRule.Normalized)]
    [InlineData("<answer>メ\u3000タル</answer>", 3, AnswerRule.Normalized)]
    [InlineData("<answer>わかりません</answer>", null, AnswerRule.Unparsed)]
    [InlineData("", null, AnswerRule.Unparsed)]
    [InlineData("9", null, AnswerRule.Unparsed)]
    public void Answers_are_extracted_by_the_documented_rules(string completion, int? index, AnswerRule rule)
    {
        var answer = AnswerExtractor.Extract(completion, Brass.Choices);
        Assert.Equal(index, answer.ChoiceIndex);
        Assert.Equal(rule, answer.Rule);
    }

    [Fact]
    public void Json_lines_and_csv_and_dictionaries_read_the_same_item()
    {
        var jsonl = "{\"q_id\":8939,\"question\":\"Q?\",\"choice0\":\"a\",\"choice1\":\"b\",\"choice2\":\"c\",\"label\":1}\n\n";
        var fromJson = DatasetReader.ReadJsonLines(new StringReader(jsonl)).Single();
        Assert.Equal(("8939", "Q?", 3, 1), (fromJson.Id, fromJson.Question, fromJson.Choices.Count, fromJson.Label));
        var csv = "id,q,opts,answer\n7,\"Q, \"\"quoted\"\"\",x|y,1\n";
        var map = ItemFieldMap.From(new Dictionary<string, string> { ["id"] = "id", ["question"] = "q", ["choices"] = "opts", ["label"] = "answer" });
        var fromCsv = DatasetReader.ReadCsv(new StringReader(csv), map).Single();
        Assert.Equal("Q, \"quoted\"", fromCsv.Question);
        Assert.Equal(new[] { "x", "y" }, fromCsv.Choices);
        var row = new Dictionary<string, object> { ["Q_ID"] = 5, ["question"] = "Q", ["choice0"] = "a", ["choice1"] = "b", ["label"] = "0" };
        Assert.Equal("5", DatasetReader.ReadDictionaries(new[] { row }).Single().Id);
    }

    [Fact]
    public void A_bad_row_names_its_line_and_field()
    {
        var jsonl = "{\"q_id\":1,\"question\":\"Q\",\"choice0\":\"a\",\"choice1\":\"b\",\"label\":0}\n{\"q_id\":2,\"question\":\"Q\",\"choice0\":\"a\",\"choice1\":\"b\",\"label\":7}\n";
        var error = Assert.Throws<DatasetFormatException>(() => DatasetReader.ReadJsonLines(new StringReader(jsonl)).ToList());
        Assert.Equal((2L, "label"), (error.Row, error.Field));
    }

    [Theory]
    // Exact fractions (python fractions + math.comb): b=3,c=10: 2*(1+13+78+286)/8192 = 756/8192 = 0.09228515625.
    [InlineData(3, 10, 0.09228515625)]
    // b=0,c=5: 2/32 = 0.0625.
    [InlineData(0, 5, 0.0625)]
    [InlineData(7, 7, 1.0)]
    // python: float(2*sum(Fraction(comb(100,k),2**100) for k in range(41))) = 0.05688793364098079
    [InlineData(40, 60, 0.05688793364098079)]
    // python, same formula with n=3100: 0.07537169707532781
    [InlineData(1500, 1600, 0.07537169707532781)]
    public void McNemar_matches_hand_computed_values(long b, long c, double expected)
    {
        Assert.Equal(expected, EvaluationStatistics.McNemarExact(b, c), 9);
    }

    [Fact]
    public void Wilson_and_nearest_rank_match_hand_values()
    {
        // 8/10, z=1.96: centre (0.8+0.19208)/1.38415 = 0.71674, half 1.95996*sqrt(0.016+0.0096037)/1.38415 = 0.22658
        var (low, high) = EvaluationStatistics.Wilson(8, 10);
        Assert.Equal(0.4902, low, 3);
        Assert.Equal(0.9433, high, 3);
        // ceil(0.95*10) = 10th value; ceil(0.5*10) = 5th.
        var values = Enumerable.Range(1, 10).Select(v => (double)v).ToList();
        Assert.Equal(5, EvaluationStatistics.NearestRank(values, 50));
        Assert.Equal(10, EvaluationStatistics.NearestRank(values, 95));
    }

    [Fact]
    public async Task Planted_accuracies_are_measured_exactly_and_compared()
    {
        var items = Items(40);
        // Model A right on items 0..29 (30/40); B right on 0..19 and answers "???" (unparsed) on 20..24.
        Task<EvaluationAnswer> Answer(EvaluationRequest r, CancellationToken _)
        {
            var i = (int)r.ItemIndex;
            var right = r.Model == "A" ? i < 30 : i < 20;
            var text = r.Model == "B" && i >= 20 && i < 25 ? "???" : "<answer>" + r.Item.Choices[right ? r.Item.Label : (r.Item.Label + 1) % 5];
            return Task.FromResult(new EvaluationAnswer(text, 10 + i, 100, 3));
        }
        var rows = new List<EvaluationRow>();
        var result = await new Evaluator(new[] { "A", "B" }, new PromptBuilder(), Answer, new EvaluationOptions { ThrottleLimit = 8 })
            .RunAsync(items, rows.Add);
        Assert.Equal(new[] { 0.75, 0.5 }, result.Summaries.Select(s => s.Accuracy));
        Assert.Equal(new[] { 0L, 5L }, result.Summaries.Select(s => s.Unparsed));
        Assert.Equal(4000, result.Summaries[0].InputTokens);
        Assert.Equal(items.SelectMany(i => new[] { i.Id + "A", i.Id + "B" }), rows.Select(r => r.ItemId + r.Model));
        var comparison = result.Comparisons.Single();
        // b = 10 (items 20..29), c = 0: p = 2/1024.
        Assert.Equal((10L, 0L), (comparison.OnlyACorrect, comparison.OnlyBCorrect));
        Assert.Equal(2.0 / 1024, comparison.McNemarP, 12);
        Assert.Equal(0.25, comparison.AccuracyDifference, 12);
        // Both right on 0..19, both wrong with the same wrong choice on 30..39: 30/40 agree.
        Assert.Equal(0.75, comparison.AgreementRate, 12);
    }

    [Fact]
    public async Task A_killed_run_resumes_scoring_each_item_once()
    {
        var path = Path.Combine(Path.GetTempPath(), "eval-" + Guid.NewGuid() + ".jsonl");
        try
        {
            var items = Items(10);
            var calls = new List<string>();
            Task<EvaluationAnswer> Answer(EvaluationRequest r, CancellationToken _)
            {
                lock (calls) calls.Add(r.Item.Id);
                return Task.FromResult(new EvaluationAnswer("<answer>" + r.Item.CorrectChoice, 1));
            }
            using (var store = ResultStore.Open(path))
                await new Evaluator(new[] { "A" }, new PromptBuilder(), Answer, new EvaluationOptions { Store = store, ThrottleLimit = 1 }).RunAsync(items.Take(4));
            File.AppendAllText(path, "{\"model\":\"A\",\"itemId\":\"q4\",\"ru"); // the kill, mid-write
            calls.Clear();
            using (var store = ResultStore.Open(path))
            {
                Assert.Equal(5, store.TruncatedLine);
                var result = await new Evaluator(new[] { "A" }, new PromptBuilder(), Answer, new EvaluationOptions { Store = store }).RunAsync(items);
                Assert.Equal(10, result.Summaries[0].Items);
                Assert.Equal(1.0, result.Summaries[0].Accuracy);
            }
            Assert.Equal(items.Skip(4).Select(i => i.Id), calls.OrderBy(c => int.Parse(c.Substring(1))));
            using (var store = ResultStore.Open(path)) Assert.Equal(10, store.Count);
            calls.Clear();
            using (var store = ResultStore.Open(path))
                await new Evaluator(new[] { "A" }, new PromptBuilder(shots: 0), Answer, new EvaluationOptions { Store = store }).RunAsync(items.Take(2));
            Assert.Equal(2, calls.Count); // a changed prompt is a new run
        }
        finally { File.Delete(path); }
    }
}
