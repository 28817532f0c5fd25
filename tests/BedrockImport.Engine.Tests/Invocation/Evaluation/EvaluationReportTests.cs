using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using BedrockImport.Engine.Invocation.Evaluation;

namespace BedrockImport.Engine.Tests.Invocation.Evaluation;

public class EvaluationReportTests
{
    private static readonly string[] Animals = { "いぬ", "ねこ", "とり", "さかな", "うま" };

    private static EvaluationReportInfo Info(IReadOnlyDictionary<string, string> names = null, int maxRows = 100) => new()
    {
        Title = "JCommonsenseQA 評価",
        Dataset = "jcommonsenseqa-valid.jsonl",
        PromptDescription = "1-shot, generation, exact match on the extracted answer",
        GeneratedAt = new DateTimeOffset(2026, 12, 3, 14, 30, 0, TimeSpan.FromHours(9)),
        ModelNames = names,
        MaxDisagreementRows = maxRows,
    };

    private static List<MultipleChoiceItem> Items(int count) => Enumerable.Range(0, count)
        .Select(i => new MultipleChoiceItem("q" + i, "問" + i + "：次のうち、動物はどれ？", Animals, i % 5)).ToList();

    /// <summary>Runs the real evaluator; <paramref name="pick"/> gives the model's choice for item i (null: an
    /// unparseable answer). Latencies and tokens vary by item and model so every summary number is distinct.</summary>
    private static Task<EvaluationResult> Run(IReadOnlyList<string> models, IReadOnlyList<MultipleChoiceItem> items, Func<string, int, int?> pick)
    {
        Task<EvaluationAnswer> Answer(EvaluationRequest r, CancellationToken _)
        {
            var i = (int)r.ItemIndex;
            var choice = pick(r.Model, i);
            var text = choice is int c ? "<answer>" + r.Item.Choices[c] + "</answer>" : "わかりません";
            var m = models.ToList().IndexOf(r.Model);
            return Task.FromResult(new EvaluationAnswer(text, 100.0 / 3 + (i * 37 % 91) + 17 * m, 120 + i, 4 + m));
        }
        return new Evaluator(models, new PromptBuilder(), Answer, new EvaluationOptions { ThrottleLimit = 4, Dataset = "jcqa" }).RunAsync(items);
    }

    // A right on items 0..29; B right on 0..19, unparsed on 20..24; C right on 0..18 and 39. Wrong picks are label + 1.
    private static int? Planted(string model, int i)
    {
        var label = i % 5;
        var right = model switch { "A" => i < 30, "B" => i < 20, _ => i < 19 || i == 39 };
        if (model == "B" && i >= 20 && i < 25) return null;
        return right ? label : (label + 1) % 5;
    }

    private sealed record Field(IReadOnlyDictionary<string, string> Data, string Text)
    {
        public string Get(string name) => Data.TryGetValue(name, out var value) ? value : null;
        public string Name => Data["field"];
        public string Value => Data["value"];
    }

    private static readonly Regex Element = new("<(?<tag>[a-z]+)(?<attributes>[^>]*\\sdata-field=\"[^\"]*\"[^>]*)>(?<text>[^<]*)</\\k<tag>>");
    private static readonly Regex Attribute = new("\\sdata-(?<name>[a-z-]+)=\"(?<value>[^\"]*)\"");

    /// <summary>Every element with a data-field, its data-* attributes and its text, decoded.</summary>
    private static List<Field> Fields(string html) => Element.Matches(html).Cast<Match>().Select(m => new Field(
        Attribute.Matches(m.Groups["attributes"].Value).Cast<Match>().ToDictionary(a => a.Groups["name"].Value, a => WebUtility.HtmlDecode(a.Groups["value"].Value)),
        WebUtility.HtmlDecode(m.Groups["text"].Value))).ToList();

    private static string Exact(object value) => value switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        string s => s,
        _ => throw new InvalidOperationException("No twin format for " + value.GetType()),
    };

    private static IEnumerable<PropertyInfo> ScalarProperties(Type type, params string[] except) => type.GetProperties()
        .Where(p => !except.Contains(p.Name) && (p.PropertyType == typeof(string) || p.PropertyType == typeof(long) || p.PropertyType == typeof(double) || p.PropertyType == typeof(double?)));

    [Fact]
    public async Task Every_summary_number_is_on_the_page_with_its_exact_value()
    {
        var result = await Run(new[] { "A", "B", "C" }, Items(40), Planted);
        var html = EvaluationReport.Render(result, Info(new Dictionary<string, string> { ["A"] = "Model Alpha" }));
        var fields = Fields(html);
        var properties = ScalarProperties(typeof(ModelSummary), nameof(ModelSummary.Model)).ToList();
        Assert.Contains(properties, p => p.Name == nameof(ModelSummary.P95LatencyMs));
        foreach (var summary in result.Summaries)
        {
            foreach (var property in properties)
            {
                var twin = Assert.Single(fields, f => f.Get("model") == summary.Model && f.Name == property.Name);
                var expected = property.GetValue(summary);
                Assert.Equal(Exact(expected), twin.Value);
                if (expected is double d) Assert.Equal(d, double.Parse(twin.Value, CultureInfo.InvariantCulture));
            }
            var accuracy = fields.Single(f => f.Get("model") == summary.Model && f.Name == "Accuracy");
            Assert.Equal((summary.Accuracy * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%", accuracy.Text);
            var mean = fields.Single(f => f.Get("model") == summary.Model && f.Name == "MeanLatencyMs");
            Assert.Equal(summary.MeanLatencyMs.Value.ToString("0.0", CultureInfo.InvariantCulture) + " ms", mean.Text);
        }
        Assert.Equal(new[] { 0.75, 0.5, 0.5 }, result.Summaries.Select(s => s.Accuracy));
        Assert.Contains("Model Alpha", html);
    }

    [Fact]
    public async Task The_confusion_grid_holds_every_cell_and_zeros_elsewhere()
    {
        var result = await Run(new[] { "A", "B" }, Items(40), Planted);
        var fields = Fields(EvaluationReport.Render(result, Info())).Where(f => f.Name == "Confusion").ToList();
        foreach (var summary in result.Summaries)
        {
            var mine = fields.Where(f => f.Get("model") == summary.Model).ToList();
            Assert.Equal(5 * 6, mine.Count); // 5 correct choices × (5 chosen + Unparsed)
            var shown = mine.Where(f => f.Value != "0").Select(f => (int.Parse(f.Get("label")), int.Parse(f.Get("predicted")), long.Parse(f.Value))).OrderBy(c => c).ToList();
            Assert.Equal(summary.Confusion.Select(c => (c.Label, c.Predicted, c.Count)).OrderBy(c => c), shown);
        }
        Assert.Contains(fields, f => f.Get("model") == "B" && f.Get("predicted") == "-1" && f.Value != "0");
    }

    [Fact]
    public async Task Many_choices_list_only_the_cells_that_hold_answers()
    {
        var choices = Enumerable.Range(0, 300).Select(c => "選択肢" + c).ToList();
        var items = Enumerable.Range(0, 12).Select(i => new MultipleChoiceItem("m" + i, "問" + i, choices, i * 20)).ToList();
        var result = await Run(new[] { "A" }, items, (model, i) => i % 3 == 0 ? null : i * 20 + i % 2);
        var cells = Fields(EvaluationReport.Render(result, Info())).Where(f => f.Name == "Confusion")
            .Select(f => (int.Parse(f.Get("label")), int.Parse(f.Get("predicted")), long.Parse(f.Value))).OrderBy(c => c).ToList();
        Assert.Equal(result.Summaries[0].Confusion.Select(c => (c.Label, c.Predicted, c.Count)).OrderBy(c => c), cells);
    }

    [Fact]
    public async Task Comparisons_show_every_number_and_say_whether_the_difference_is_noise()
    {
        var result = await Run(new[] { "A", "B", "C" }, Items(40), Planted);
        var html = EvaluationReport.Render(result, Info());
        var fields = Fields(html);
        Assert.Equal(3, result.Comparisons.Count);
        foreach (var comparison in result.Comparisons)
            foreach (var property in ScalarProperties(typeof(ModelComparison), nameof(ModelComparison.ModelA), nameof(ModelComparison.ModelB)))
            {
                var twin = Assert.Single(fields, f => f.Get("model") == comparison.ModelA && f.Get("model-b") == comparison.ModelB && f.Name == property.Name);
                Assert.Equal(Exact(property.GetValue(comparison)), twin.Value);
            }
        var verdicts = Regex.Matches(html, "<p class=\"verdict\">([^<]*)</p>").Cast<Match>().Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();
        // A vs B: 10 items only A got right, none only B (p = 2/1024); B vs C: one each way (p = 1).
        Assert.True(result.Comparisons[0].McNemarP < 0.05);
        Assert.StartsWith("The difference is distinguishable from noise at the 0.05 level", verdicts[0]);
        Assert.Contains("A answers more of these items correctly than B", verdicts[0]);
        Assert.Equal(1.0, result.Comparisons[2].McNemarP);
        Assert.StartsWith("The difference is not distinguishable from noise at the 0.05 level", verdicts[2]);
        Assert.Contains("+25.0 pp", html);
    }

    [Fact]
    public async Task Disagreement_rows_show_each_models_pick_and_unparsed()
    {
        var items = Items(40);
        var result = await Run(new[] { "A", "B" }, items, Planted);
        var html = EvaluationReport.Render(result, Info());
        var expectedIds = Enumerable.Range(0, 40).Where(i => Planted("A", i) != Planted("B", i)).Select(i => "q" + i).ToList();
        var rows = Regex.Matches(html, "<tr data-item=\"([^\"]*)\">").Cast<Match>().Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(expectedIds, rows);
        var fields = Fields(html);
        foreach (var id in expectedIds)
        {
            var i = int.Parse(id.Substring(1));
            Assert.Equal((i % 5).ToString(CultureInfo.InvariantCulture), fields.Single(f => f.Get("item") == id && f.Name == "Label").Value);
            foreach (var model in new[] { "A", "B" })
            {
                var pick = fields.Single(f => f.Get("item") == id && f.Get("model") == model && f.Name == "Choice");
                var planted = Planted(model, i);
                Assert.Equal(planted?.ToString(CultureInfo.InvariantCulture) ?? "", pick.Value);
                Assert.Equal(planted == null ? "Unparsed" : planted.Value.ToString(CultureInfo.InvariantCulture), pick.Text);
            }
        }
        Assert.Contains("問21：次のうち、動物はどれ？", html);
        Assert.Contains("<meta charset=\"utf-8\">", html);
        Assert.DoesNotContain("class=\"note capped\"", html);

        var capped = EvaluationReport.Render(result, Info(maxRows: 3));
        Assert.Equal(expectedIds.Take(3), Regex.Matches(capped, "<tr data-item=\"([^\"]*)\">").Cast<Match>().Select(m => m.Groups[1].Value));
        var cappedFields = Fields(capped);
        Assert.Equal("3", cappedFields.Single(f => f.Name == "DisagreementsShown").Value);
        Assert.Equal(expectedIds.Count.ToString(CultureInfo.InvariantCulture), cappedFields.Single(f => f.Name == "DisagreementsTotal").Value);
    }

    [Fact]
    public async Task Hostile_dataset_text_and_model_names_appear_as_text()
    {
        const string evilModel = "<b>evil</b>\"' onmouseover=\"x";
        var items = new List<MultipleChoiceItem>
        {
            new("<i>id</i>", "<script>alert('x')</script>&amp;\u0001\ud800", new[] { "\"><img src=x onerror=alert(1)>", "</td></tr></table><svg onload=alert(2)>" }, 0),
            new("plain", "ok", new[] { "a", "b" }, 1),
        };
        var result = await Run(new[] { "safe", evilModel }, items, (model, i) => model == "safe" ? 0 : 1);
        var info = Info(new Dictionary<string, string> { ["safe"] = "</title><script>alert(3)</script>" });
        info.Title = "</title><style>body{display:none}</style>";
        info.Dataset = "<iframe src=\"x\">";
        var html = EvaluationReport.Render(result, info);

        foreach (var tag in new[] { "<script", "<img", "<svg onload", "<iframe", "<b>", "<i>", "<style>body" })
            Assert.DoesNotContain(tag, html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;amp;\ufffd\ufffd", html);
        Assert.Contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;", html);
        var fields = Fields(html);
        Assert.Contains(fields, f => f.Get("model") == evilModel && f.Name == "Accuracy");
        Assert.Contains(fields, f => f.Get("item") == "<i>id</i>" && f.Name == "Choice");
        Assert.Single(Regex.Matches(html, "<style>"));
    }

    [Fact]
    public async Task The_page_refers_to_nothing_outside_itself()
    {
        var result = await Run(new[] { "A", "B", "C" }, Items(40), Planted);
        var html = EvaluationReport.Render(result, Info(new Dictionary<string, string> { ["B"] = "Model B" }));
        foreach (var forbidden in new[] { "http://", "https://", "src=", "url(", "@import", "<script", "<link", "<img", "<iframe", "<object", "<embed", "//" })
            Assert.DoesNotContain(forbidden, html, StringComparison.OrdinalIgnoreCase);
        Assert.All(Regex.Matches(html, "href=\"([^\"]*)\"").Cast<Match>(), m => Assert.StartsWith("#", m.Groups[1].Value));
        Assert.Contains("content=\"default-src 'none'; style-src 'unsafe-inline'\"", html);
        Assert.Contains("<svg", html);
    }

    [Fact]
    public async Task One_model_has_no_comparison_or_disagreement_section()
    {
        var result = await Run(new[] { "only" }, Items(10), (model, i) => i % 5);
        var html = EvaluationReport.Render(result, Info());
        Assert.DoesNotContain("id=\"comparisons\"", html);
        Assert.DoesNotContain("id=\"disagreements\"", html);
        Assert.DoesNotContain("data-model-b", html);
        Assert.Equal("1", Fields(html).Single(f => f.Get("model") == "only" && f.Name == "Accuracy").Value);
    }

    [Fact]
    public async Task Models_with_no_items_render_without_NaN()
    {
        var result = await Run(new[] { "A", "B" }, new List<MultipleChoiceItem>(), Planted);
        Assert.Equal(0, result.Summaries[0].Items);
        var html = EvaluationReport.Render(result, Info());
        Assert.DoesNotContain("NaN", html);
        Assert.DoesNotContain("Infinity", html);
        var fields = Fields(html);
        var mean = fields.Single(f => f.Get("model") == "A" && f.Name == "MeanLatencyMs");
        Assert.Equal(("", "–"), (mean.Value, mean.Text));
        Assert.Equal("0", fields.Single(f => f.Get("model") == "A" && f.Name == "Items").Value);
        Assert.Contains("There are no paired items", html);

        // A summary the evaluator never makes (NaN accuracy) still prints no NaN.
        var broken = new EvaluationResult(new[] { new ModelSummary { Model = "X", Accuracy = double.NaN, MeanLatencyMs = double.PositiveInfinity, SortedLatenciesMs = new[] { double.NaN } } },
            Array.Empty<ModelComparison>(), Array.Empty<Disagreement>());
        var brokenHtml = EvaluationReport.Render(broken, Info());
        Assert.DoesNotContain("NaN", brokenHtml);
        Assert.DoesNotContain("Infinity", brokenHtml);
        Assert.Equal("", Fields(brokenHtml).Single(f => f.Name == "Accuracy").Value);
    }

    [Fact]
    public async Task Write_replaces_the_file_whole_as_utf8_without_bom_and_leaves_no_temporary()
    {
        var folder = Path.Combine(Path.GetTempPath(), "report-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var result = await Run(new[] { "A", "B" }, Items(10), Planted);
            var path = Path.Combine(folder, "report.html");
            File.WriteAllText(path, "old page");
            EvaluationReport.Write(path, result, Info());
            var bytes = File.ReadAllBytes(path);
            Assert.NotEqual(0xEF, bytes[0]);
            Assert.Equal(EvaluationReport.Render(result, Info()), new UTF8Encoding(false, true).GetString(bytes));
            Assert.Equal(new[] { "report.html" }, Directory.GetFiles(folder).Select(Path.GetFileName));

            // The target is a folder: the move fails, the error surfaces, and the temporary file is gone.
            var blocked = Path.Combine(folder, "blocked.html");
            Directory.CreateDirectory(blocked);
            Assert.ThrowsAny<IOException>(() => EvaluationReport.Write(blocked, result, Info()));
            Assert.Equal(new[] { "report.html" }, Directory.GetFiles(folder).Select(Path.GetFileName));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
