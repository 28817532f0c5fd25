using System.Text;
using BedrockImport.Engine.Invocation;
using BedrockImport.Engine.Invocation.Evaluation;

namespace BedrockImport.Engine.Tests.Invocation.Evaluation;

/// <summary>The parts of a run the cmdlet leans on: CSV result files, progress, agreement, run keys, estimates.</summary>
public class EvaluationRunTests
{
    private static List<MultipleChoiceItem> Items(int count) => Enumerable.Range(0, count)
        .Select(i => new MultipleChoiceItem("q" + i, "問" + i + "は？", new[] { "いぬ", "ねこ", "とり" }, i % 3)).ToList();

    private static string TempFile(string extension) => Path.Combine(Path.GetTempPath(), "eval-run-" + Guid.NewGuid().ToString("N") + extension);

    private static EvaluationRow Row(string item, string completion) => new()
    {
        Model = "m", ItemId = item, RunKey = "k", PromptHash = "h", Prompt = "質問: a, \"b\"\nchoice0: x", Completion = completion,
        Answer = "ねこ", ChoiceIndex = 1, Label = 1, Rule = AnswerRule.AnswerTag, Correct = true, LatencyMs = 12.5,
        InputTokens = 40, OutputTokens = 3, Timestamp = new DateTimeOffset(2026, 12, 3, 6, 0, 0, TimeSpan.Zero),
    };

    [Theory]
    [InlineData(".csv")]
    [InlineData(".jsonl")]
    public void Rows_with_commas_quotes_and_newlines_read_back_as_written(string extension)
    {
        var path = TempFile(extension);
        try
        {
            using (var store = ResultStore.Open(path))
            {
                store.Append(Row("1", "<answer>ねこ</answer>, \"quoted\"\nsecond line"));
                store.Append(Row("2", ""));
            }
            using var reopened = ResultStore.Open(path);
            Assert.Null(reopened.TruncatedLine);
            var first = reopened.Find("k", "1")!;
            Assert.Equal("<answer>ねこ</answer>, \"quoted\"\nsecond line", first.Completion);
            Assert.Equal("質問: a, \"b\"\nchoice0: x", first.Prompt);
            Assert.Equal((1, 1, AnswerRule.AnswerTag, true, 12.5, 40L, 3L), (first.ChoiceIndex, first.Label, first.Rule, first.Correct, first.LatencyMs, first.InputTokens, first.OutputTokens));
            Assert.True(first.Resumed);
            Assert.Equal("", reopened.Find("k", "2")!.Completion);
            Assert.Equal(2, reopened.CountRun("k"));
            Assert.Equal(0, reopened.CountRun("other"));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_csv_row_cut_inside_a_quoted_field_is_removed_and_the_next_row_starts_clean()
    {
        var path = TempFile(".csv");
        try
        {
            using (var store = ResultStore.Open(path))
            {
                store.Append(Row("1", "ok"));
                store.Append(Row("2", "line one\nline two, with a comma"));
            }
            var text = File.ReadAllText(path);
            // Cut inside the quoted completion of row 2, after its embedded newline.
            File.WriteAllText(path, text.Substring(0, text.IndexOf("line two", StringComparison.Ordinal) + 4), new UTF8Encoding(false));
            using (var store = ResultStore.Open(path))
            {
                Assert.NotNull(store.TruncatedLine);
                Assert.NotNull(store.Find("k", "1"));
                Assert.Null(store.Find("k", "2"));
                store.Append(Row("3", "after"));
            }
            using var again = ResultStore.Open(path);
            Assert.Null(again.TruncatedLine);
            Assert.Equal(new[] { "ok", "after" }, new[] { again.Find("k", "1")!.Completion, again.Find("k", "3")!.Completion });
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_file_with_a_byte_order_mark_is_cut_at_the_right_byte()
    {
        var path = TempFile(".jsonl");
        try
        {
            using (var store = ResultStore.Open(path)) store.Append(Row("1", "ok"));
            var line = File.ReadAllText(path);
            File.WriteAllText(path, line + line.Substring(0, 20), new UTF8Encoding(true));
            using (var store = ResultStore.Open(path)) Assert.Equal(2, store.TruncatedLine);
            var bytes = File.ReadAllBytes(path);
            Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes.Take(3));
            Assert.Equal(line, Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_csv_file_with_another_header_is_refused()
    {
        var path = TempFile(".csv");
        try
        {
            File.WriteAllText(path, "q_id,question\n1,q\n");
            Assert.Contains("not a result file", Assert.Throws<FormatException>(() => ResultStore.Open(path)).Message);
            Assert.Equal("q_id,question\n1,q\n", File.ReadAllText(path));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public async Task Progress_counts_up_to_the_total_with_running_accuracy_and_a_rate()
    {
        var snapshots = new List<EvaluationProgress>();
        Task<EvaluationAnswer> Answer(EvaluationRequest r, CancellationToken _) =>
            Task.FromResult(new EvaluationAnswer("<answer>" + r.Item.Choices[r.ItemIndex < 6 ? r.Item.Label : (r.Item.Label + 1) % 3], 5));
        var options = new EvaluationOptions { ThrottleLimit = 3, TotalItems = 8, ProgressInterval = TimeSpan.Zero };
        await new Evaluator(new[] { "A" }, new PromptBuilder(shots: 0), Answer, options).RunAsync(Items(8), onProgress: snapshots.Add);
        // One per item, then the final one.
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i).Append(8), snapshots.Select(s => s.ItemsDone));
        Assert.All(snapshots, s => Assert.Equal(8, s.TotalItems));
        Assert.Equal(1.0, snapshots[5].RunningAccuracy["A"]);
        Assert.Equal(0.75, snapshots.Last().RunningAccuracy["A"]);
        Assert.True(snapshots.Last().RequestsPerSecond > 0);
        Assert.Equal(TimeSpan.Zero, snapshots.Last().EstimatedRemaining);
    }

    [Fact]
    public async Task Two_unparsed_answers_are_not_an_agreement_but_two_same_wrong_choices_are()
    {
        Task<EvaluationAnswer> Answer(EvaluationRequest r, CancellationToken _)
        {
            var i = (int)r.ItemIndex;
            var text = i switch
            {
                0 => "<answer>" + r.Item.Choices[r.Item.Label],
                1 => "<answer>" + r.Item.Choices[(r.Item.Label + 1) % 3],
                _ => "分かりません",
            };
            return Task.FromResult(new EvaluationAnswer(text, 1));
        }
        var result = await new Evaluator(new[] { "A", "B" }, new PromptBuilder(shots: 0), Answer).RunAsync(Items(4));
        var comparison = result.Comparisons.Single();
        Assert.Equal(0.5, comparison.AgreementRate, 12);
        Assert.Equal(new long[] { 2, 2 }, result.Summaries.Select(s => s.Unparsed));
        Assert.Empty(result.Disagreements);
    }

    [Fact]
    public void Every_inference_setting_changes_the_run_key_text()
    {
        var baseline = new EvaluationInferenceSettings().Canonical();
        var variants = new[]
        {
            new EvaluationInferenceSettings { Api = RuntimeApi.Converse },
            new EvaluationInferenceSettings { Format = InvocationFormat.OpenAICompletion },
            new EvaluationInferenceSettings { MaxTokens = 65 },
            new EvaluationInferenceSettings { Temperature = 0.1 },
            new EvaluationInferenceSettings { StopSequences = new[] { "</answer>", "\n" } },
            new EvaluationInferenceSettings { ConstrainToChoices = true },
        }.Select(v => v.Canonical()).ToList();
        Assert.DoesNotContain(baseline, variants);
        Assert.Equal(variants.Count, variants.Distinct().Count());
        Assert.Equal(baseline, new EvaluationInferenceSettings().Canonical());
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("abcd", 1)]
    [InlineData("abcde", 2)]
    [InlineData("質問: ", 3)]
    [InlineData("𠮷野家", 3)]
    public void Prompt_tokens_are_estimated_by_the_documented_rule(string text, long expected) =>
        Assert.Equal(expected, PromptTokenEstimate.Of(text));
}
