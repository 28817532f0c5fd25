using BedrockImport.Engine.Invocation;
using BedrockImport.Engine.Invocation.Evaluation;

namespace BedrockImport.Engine.Tests.Invocation;

public class JCommonsenseQaTests
{
    private static readonly JCommonsenseQaItem Brass =
        new(8939, "次のうち、金管楽器であるのはどれ？", new[] { "トランペット", "ガラス", "メビウス", "メタル", "設計" }, 0);

    [Fact]
    public void The_prompt_is_the_field_reports_one_shot_prompt()
    {
        const string expected =
            "### 例 ###\n" +
            "質問: 電子機器で使用される最も主要な電子回路基板の事をなんと言う？\n" +
            "choice0: 掲示板\nchoice1: パソコン\nchoice2: マザーボード\nchoice3: ハードディスク\nchoice4: まな板\n" +
            "回答: <answer>マザーボード</answer>\n\n" +
            "質問: 次のうち、金管楽器であるのはどれ？\n" +
            "choice0: トランペット\nchoice1: ガラス\nchoice2: メビウス\nchoice3: メタル\nchoice4: 設計\n" +
            "回答:";
        Assert.Equal(expected, JCommonsenseQa.BuildPrompt(Brass));
    }

    [Fact]
    public void Another_example_can_be_the_shot()
    {
        var example = new JCommonsenseQaItem(1, "Q?", new[] { "a", "b", "c", "d", "e" }, 4);
        var prompt = JCommonsenseQa.BuildPrompt(Brass, example);
        Assert.StartsWith("### 例 ###\n質問: Q?\nchoice0: a\n", prompt);
        Assert.Contains("回答: <answer>e</answer>\n\n質問: 次のうち", prompt);
    }

    [Fact]
    public void Records_are_read_from_jsonl()
    {
        var item = JCommonsenseQaItem.FromJson("{\"q_id\": 3016, \"question\": \"会社の最高責任者を何というか？\", \"choice0\": \"社長\", \"choice1\": \"教師\", \"choice2\": \"部長\", \"choice3\": \"バイト\", \"choice4\": \"部下\", \"label\": 0}");
        Assert.Equal(3016, item.QuestionId);
        Assert.Equal("社長", item.CorrectChoice);
        Assert.Equal(5, item.Choices.Count);
    }

    [Theory]
    [InlineData("{\"q_id\": 1, \"question\": \"q\", \"choice0\": \"a\", \"label\": 0}")]
    [InlineData("{\"q_id\": 1, \"question\": \"q\", \"choice0\": \"a\", \"choice1\": \"b\", \"choice2\": \"c\", \"choice3\": \"d\", \"choice4\": \"e\", \"label\": 7}")]
    [InlineData("not json")]
    public void Broken_records_are_format_errors(string line)
    {
        Assert.Throws<FormatException>(() => JCommonsenseQaItem.FromJson(line));
    }

    [Theory]
    [InlineData(" <answer>トランペット", "トランペット", 0, true)]
    [InlineData(" <answer>トランペット</answer>\n\n質問: 次のうち", "トランペット", 0, true)]
    [InlineData(" <answer> メタル </answer>", "メタル", 3, false)]
    [InlineData(" <answer>0</answer>", "0", 0, true)]
    [InlineData(" <answer>０", "０", 0, true)]
    [InlineData(" <answer>choice0", "choice0", 0, true)]
    [InlineData("トランペット\n説明: 金管楽器です", "トランペット", 0, true)]
    [InlineData("\n\n 2 \n", "2", 2, false)]
    [InlineData(" <answer>ピアノ</answer>", "ピアノ", null, false)]
    [InlineData(" <answer>7", "7", null, false)]
    [InlineData("", null, null, false)]
    [InlineData(null, null, null, false)]
    public void Answers_are_read_by_text_or_index_and_scored_by_exact_match(string completion, string text, int? index, bool correct)
    {
        var answer = JCommonsenseQa.ExtractAnswer(completion, Brass);
        Assert.Equal(text, answer.Text);
        Assert.Equal(index, answer.ChoiceIndex);
        Assert.Equal(correct, answer.IsCorrect);
    }

    [Fact]
    public void The_protocol_end_to_end_cuts_the_run_on_answer_and_scores_it()
    {
        // The service ignored the stop (field report 000); the cut restores the protocol.
        var serviceAnswer = " <answer>トランペット</answer>\n\n質問: 次のうち、木管楽器はどれ？\nchoice0: ";
        var stops = new StopSequenceSet(new[] { JCommonsenseQa.StopSequence });
        var completion = stops.Cut(serviceAnswer, out _);
        Assert.True(JCommonsenseQa.ExtractAnswer(completion, Brass).IsCorrect);
    }

    [Fact]
    public void The_tally_counts_accuracy_and_unanswered()
    {
        var tally = new JCommonsenseQaTally();
        tally.Add(JCommonsenseQa.ExtractAnswer("<answer>トランペット", Brass));
        tally.Add(JCommonsenseQa.ExtractAnswer("<answer>ガラス", Brass));
        tally.Add(JCommonsenseQa.ExtractAnswer("<answer>わかりません", Brass));
        tally.Add(JCommonsenseQa.ExtractAnswer("0", Brass));
        Assert.Equal(4, tally.Total);
        Assert.Equal(2, tally.Correct);
        Assert.Equal(1, tally.Unanswered);
        Assert.Equal(0.5, tally.Accuracy);
    }
}
