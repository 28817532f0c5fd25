using System.Globalization;
using System.Text;

namespace BedrockImport.Engine.Invocation.Evaluation;

/// <summary>What the report says about a run beyond its numbers.</summary>
public sealed class EvaluationReportInfo
{
    public string Title { get; set; } = "Model evaluation";
    public string Dataset { get; set; } = "";

    /// <summary>How the models were asked and scored, e.g. "1-shot, generation, exact match on the extracted answer".</summary>
    public string PromptDescription { get; set; } = "";
    public DateTimeOffset GeneratedAt { get; set; } = DateTimeOffset.UtcNow;

    /// <summary>Optional display names by model id; the page shows the id under a name that differs from it.</summary>
    public IReadOnlyDictionary<string, string>? ModelNames { get; set; }

    /// <summary>At most this many disagreement rows are shown; the page says so when it holds back some.</summary>
    public int MaxDisagreementRows { get; set; } = 100;

    /// <summary>The run's <see cref="EvaluationOptions.MaxDisagreements"/>, when known: a result holding that many
    /// disagreements may have had more, and the page says so.</summary>
    public int? DisagreementLimit { get; set; }
}

/// <summary>Writes an <see cref="EvaluationResult"/> as one self-contained HTML page: inline CSS and inline SVG, no
/// script, no reference to anything outside the file (a Content-Security-Policy of default-src 'none' backs that up).
/// <para>Every number of the result appears once, in an element carrying its machine-readable twin:
/// <c>data-model</c> (the model id; comparisons add <c>data-model-b</c>, disagreement cells <c>data-item</c>, confusion
/// cells <c>data-label</c> and <c>data-predicted</c>), <c>data-field</c> (the property name, or Confusion, Choice,
/// Label) and <c>data-value</c>: doubles formatted "R", integers plainly, both with the invariant culture; an absent or
/// non-finite value is the empty string (never NaN). The visible text uses the invariant culture too: rates as a
/// percentage with one decimal ("75.0%"), the accuracy difference in signed percentage points ("+25.0 pp"), latencies
/// in milliseconds with one decimal ("12.3 ms"), the McNemar p with three decimals (below 0.001 as "2.0E-5"), counts
/// as plain integers, and "–" for an absent value. Charts carry no numbers of their own beyond axis ticks.</para>
/// <para>Dataset text and model names are untrusted: everything is HTML-escaped, control characters and lone
/// surrogates become U+FFFD, and long texts are cut.</para></summary>
public static class EvaluationReport
{
    private const int MaxTextLength = 1000;
    private const int MaxIdLength = 256;
    private const int MaxChoicesShown = 26;
    private const int HistogramBins = 40;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Render(EvaluationResult result, EvaluationReportInfo info)
    {
        if (result == null) throw new ArgumentNullException(nameof(result));
        if (info == null) throw new ArgumentNullException(nameof(info));
        return new Page(result, info).Render();
    }

    /// <summary>Writes the page as UTF-8 without a BOM to a temporary file beside <paramref name="path"/>, then moves it
    /// over: a failed write leaves the old file (or none), never half a page.</summary>
    public static void Write(string path, EvaluationResult result, EvaluationReportInfo info)
    {
        if (string.IsNullOrEmpty(path)) throw new ArgumentException("A report path is needed.", nameof(path));
        var html = Render(result, info);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? Directory.GetCurrentDirectory();
        var temporary = Path.Combine(directory, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N").Substring(0, 12) + ".tmp");
        try
        {
            File.WriteAllText(temporary, html, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
#if NET5_0_OR_GREATER
            File.Move(temporary, full, overwrite: true);
#else
            if (File.Exists(full)) File.Replace(temporary, full, null);
            else File.Move(temporary, full);
#endif
        }
        catch
        {
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>HTML-escapes text for element content and quoted attribute values.</summary>
    internal static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var escaped = new StringBuilder(text!.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '&': escaped.Append("&amp;"); break;
                case '<': escaped.Append("&lt;"); break;
                case '>': escaped.Append("&gt;"); break;
                case '"': escaped.Append("&quot;"); break;
                case '\'': escaped.Append("&#39;"); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    {
                        escaped.Append(c).Append(text[++i]);
                    }
                    else if (char.IsSurrogate(c) || (c < ' ' && c != '\t' && c != '\n' && c != '\r') || (c >= '\u007F' && c <= '\u009F') || c == '\uFFFE' || c == '\uFFFF')
                    {
                        escaped.Append('\uFFFD');
                    }
                    else
                    {
                        escaped.Append(c);
                    }
                    break;
            }
        }
        return escaped.ToString();
    }

    /// <summary>The first <paramref name="max"/> characters (never half a surrogate pair) and an ellipsis when cut.</summary>
    internal static string Cut(string? text, int max)
    {
        text ??= "";
        if (text.Length <= max) return text;
        var length = char.IsHighSurrogate(text[max - 1]) ? max - 1 : max;
        return text.Substring(0, length) + "…";
    }

    internal static string Value(double? value) =>
        value is double v && !double.IsNaN(v) && !double.IsInfinity(v) ? v.ToString("R", Invariant) : "";

    internal static string Percent(double? value) =>
        Value(value) == "" ? "–" : (value!.Value * 100).ToString("0.0", Invariant) + "%";

    internal static string PercentagePoints(double value) =>
        Value(value) == "" ? "–" : (value * 100).ToString("+0.0;-0.0;0.0", Invariant) + " pp";

    internal static string Milliseconds(double? value) =>
        Value(value) == "" ? "–" : value!.Value.ToString("0.0", Invariant) + " ms";

    internal static string PValue(double value) =>
        Value(value) == "" ? "–" : value >= 0.001 || value == 0 ? value.ToString("0.000", Invariant) : value.ToString("0.0E+0", Invariant);

    private sealed class Page
    {
        private readonly EvaluationResult _result;
        private readonly EvaluationReportInfo _info;
        private readonly StringBuilder _html = new();

        public Page(EvaluationResult result, EvaluationReportInfo info)
        {
            _result = result;
            _info = info;
        }

        private IReadOnlyList<ModelSummary> Summaries => _result.Summaries ?? Array.Empty<ModelSummary>();

        public string Render()
        {
            _html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n")
                .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .Append("<meta name=\"color-scheme\" content=\"light dark\">\n")
                .Append("<meta name=\"generator\" content=\"BedrockImport\">\n")
                .Append("<title>").Append(Escape(Cut(_info.Title, MaxTextLength))).Append("</title>\n")
                .Append("<style>").Append(Css).Append("</style>\n</head>\n<body>\n");
            Header();
            _html.Append("<main>\n");
            SummarySection();
            AccuracySection();
            LatencySection();
            ConfusionSection();
            if (_result.Comparisons is { Count: > 0 }) ComparisonSection();
            if (Summaries.Count > 1) DisagreementSection();
            _html.Append("</main>\n");
            Footer();
            _html.Append("</body>\n</html>\n");
            return _html.ToString();
        }

        private string Name(string model) =>
            _info.ModelNames != null && _info.ModelNames.TryGetValue(model, out var name) && !string.IsNullOrEmpty(name) ? name : model;

        /// <summary>The display name, and the id under it when they differ.</summary>
        private void ModelLabel(string model)
        {
            var name = Name(model);
            _html.Append("<span class=\"model\">").Append(Escape(Cut(name, MaxIdLength))).Append("</span>");
            if (name != model) _html.Append("<br><code class=\"model-id\">").Append(Escape(Cut(model, MaxIdLength))).Append("</code>");
        }

        private static string Attributes(string? model, string field, string? modelB = null, string? item = null, int? label = null, int? predicted = null)
        {
            var attributes = new StringBuilder();
            if (model != null) attributes.Append(" data-model=\"").Append(Escape(model)).Append('"');
            if (modelB != null) attributes.Append(" data-model-b=\"").Append(Escape(modelB)).Append('"');
            if (item != null) attributes.Append(" data-item=\"").Append(Escape(Cut(item, MaxIdLength))).Append('"');
            attributes.Append(" data-field=\"").Append(field).Append('"');
            if (label != null) attributes.Append(" data-label=\"").Append(label.Value.ToString(Invariant)).Append('"');
            if (predicted != null) attributes.Append(" data-predicted=\"").Append(predicted.Value.ToString(Invariant)).Append('"');
            return attributes.ToString();
        }

        /// <summary>An element whose text is one number (or text field) and whose data-value is its exact value.</summary>
        private void Number(string tag, string attributes, string value, string text, string? cssClass = null)
        {
            _html.Append('<').Append(tag);
            if (cssClass != null) _html.Append(" class=\"").Append(cssClass).Append('"');
            _html.Append(attributes).Append(" data-value=\"").Append(Escape(value)).Append("\">")
                .Append(Escape(text)).Append("</").Append(tag).Append('>');
        }

        private void Header()
        {
            _html.Append("<header>\n<h1>").Append(Escape(Cut(_info.Title, MaxTextLength))).Append("</h1>\n<dl class=\"meta\">\n");
            _html.Append("<dt>Data set</dt><dd>").Append(Escape(Cut(_info.Dataset, MaxTextLength))).Append("</dd>\n");
            _html.Append("<dt>Prompt and scoring</dt><dd>").Append(Escape(Cut(_info.PromptDescription, MaxTextLength))).Append("</dd>\n");
            var generated = _info.GeneratedAt.ToUniversalTime();
            _html.Append("<dt>Generated</dt><dd><time datetime=\"").Append(generated.ToString("o", Invariant)).Append("\">")
                .Append(generated.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", Invariant)).Append("</time></dd>\n");
            _html.Append("<dt>Models</dt><dd>");
            for (var m = 0; m < Summaries.Count; m++)
            {
                if (m > 0) _html.Append(", ");
                _html.Append(Escape(Cut(Name(Summaries[m].Model), MaxIdLength)));
            }
            _html.Append("</dd>\n</dl>\n<nav><a href=\"#summary\">Summary</a> <a href=\"#accuracy\">Accuracy</a> <a href=\"#latency\">Latency</a> <a href=\"#confusion\">Confusion</a>");
            if (_result.Comparisons is { Count: > 0 }) _html.Append(" <a href=\"#comparisons\">Comparisons</a>");
            if (Summaries.Count > 1) _html.Append(" <a href=\"#disagreements\">Disagreements</a>");
            _html.Append("</nav>\n</header>\n");
        }

        private void SummarySection()
        {
            _html.Append("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"scroll\"><table class=\"summary\">\n<thead><tr><th scope=\"col\">Measure</th>");
            foreach (var s in Summaries)
            {
                _html.Append("<th scope=\"col\">");
                ModelLabel(s.Model);
                _html.Append("</th>");
            }
            _html.Append("</tr></thead>\n<tbody>\n");
            SummaryRow("Data set", "Dataset", s => (s.Dataset ?? "", Cut(s.Dataset, MaxTextLength)), "text");
            SummaryRow("Items", "Items", s => Count(s.Items));
            SummaryRow("Correct", "Correct", s => Count(s.Correct));
            SummaryRow("Accuracy (correct / items; unparsed counts as wrong)", "Accuracy", s => (Value(s.Accuracy), Percent(s.Accuracy)));
            SummaryRow("95% interval, low (Wilson)", "AccuracyLow", s => (Value(s.AccuracyLow), Percent(s.AccuracyLow)));
            SummaryRow("95% interval, high (Wilson)", "AccuracyHigh", s => (Value(s.AccuracyHigh), Percent(s.AccuracyHigh)));
            SummaryRow("Unparsed answers", "Unparsed", s => Count(s.Unparsed));
            SummaryRow("Mean latency", "MeanLatencyMs", s => (Value(s.MeanLatencyMs), Milliseconds(s.MeanLatencyMs)));
            SummaryRow("Median latency (p50, nearest rank)", "P50LatencyMs", s => (Value(s.P50LatencyMs), Milliseconds(s.P50LatencyMs)));
            SummaryRow("p95 latency (nearest rank)", "P95LatencyMs", s => (Value(s.P95LatencyMs), Milliseconds(s.P95LatencyMs)));
            SummaryRow("Input tokens", "InputTokens", s => Count(s.InputTokens));
            SummaryRow("Output tokens", "OutputTokens", s => Count(s.OutputTokens));
            SummaryRow("Run key", "RunKey", s => (s.RunKey ?? "", Cut(s.RunKey, MaxIdLength)), "text key");
            _html.Append("</tbody>\n</table></div>\n</section>\n");
        }

        private static (string Value, string Text) Count(long value) => (value.ToString(Invariant), value.ToString(Invariant));

        private void SummaryRow(string label, string field, Func<ModelSummary, (string Value, string Text)> cell, string? cssClass = "num")
        {
            _html.Append("<tr><th scope=\"row\">").Append(Escape(label)).Append("</th>");
            foreach (var s in Summaries)
            {
                var (value, text) = cell(s);
                _html.Append("<td class=\"").Append(cssClass).Append("\">");
                Number("span", Attributes(s.Model, field), value, text);
                _html.Append("</td>");
            }
            _html.Append("</tr>\n");
        }

        private void AccuracySection()
        {
            const double labelWidth = 230, left = 240, right = 730, rowHeight = 30, top = 10;
            var height = top + rowHeight * Math.Max(1, Summaries.Count) + 30;
            double X(double rate) => left + (right - left) * Math.Max(0, Math.Min(1, rate));
            _html.Append("<section id=\"accuracy\">\n<h2>Accuracy</h2>\n<p class=\"note\">Bar: accuracy. Whisker: its 95% Wilson interval. The numbers are in the summary table.</p>\n")
                .Append("<figure><svg class=\"chart\" viewBox=\"0 0 760 ").Append(F(height)).Append("\" role=\"img\" aria-label=\"Accuracy per model with its 95% Wilson interval, axis 0 to 100%\">\n");
            var axisY = top + rowHeight * Math.Max(1, Summaries.Count);
            for (var tick = 0; tick <= 100; tick += 10)
            {
                var x = X(tick / 100.0);
                _html.Append("<line class=\"grid\" x1=\"").Append(F(x)).Append("\" y1=\"").Append(F(top)).Append("\" x2=\"").Append(F(x)).Append("\" y2=\"").Append(F(axisY)).Append("\"/>");
                if (tick % 20 == 0)
                    _html.Append("<text class=\"tick\" x=\"").Append(F(x)).Append("\" y=\"").Append(F(axisY + 16)).Append("\" text-anchor=\"middle\">").Append(tick.ToString(Invariant)).Append("%</text>");
            }
            _html.Append("<line class=\"axis\" x1=\"").Append(F(left)).Append("\" y1=\"").Append(F(axisY)).Append("\" x2=\"").Append(F(right)).Append("\" y2=\"").Append(F(axisY)).Append("\"/>\n");
            for (var m = 0; m < Summaries.Count; m++)
            {
                var s = Summaries[m];
                var centre = top + rowHeight * m + rowHeight / 2;
                var name = Name(s.Model);
                _html.Append("<g><title>").Append(Escape(Cut(name, MaxIdLength))).Append("</title>");
                _html.Append("<text class=\"label\" x=\"").Append(F(labelWidth)).Append("\" y=\"").Append(F(centre + 4)).Append("\" text-anchor=\"end\">")
                    .Append(Escape(Cut(name, 32))).Append("</text>");
                if (s.Items > 0 && Value(s.Accuracy) != "")
                    _html.Append("<rect class=\"bar\" x=\"").Append(F(left)).Append("\" y=\"").Append(F(centre - 7)).Append("\" width=\"").Append(F(X(s.Accuracy) - left))
                        .Append("\" height=\"14\"/>");
                else
                    _html.Append("<text class=\"tick\" x=\"").Append(F(left + 4)).Append("\" y=\"").Append(F(centre - 9)).Append("\">no items</text>");
                if (Value(s.AccuracyLow) != "" && Value(s.AccuracyHigh) != "")
                {
                    double low = X(s.AccuracyLow), high = X(s.AccuracyHigh);
                    _html.Append("<line class=\"whisker\" x1=\"").Append(F(low)).Append("\" y1=\"").Append(F(centre)).Append("\" x2=\"").Append(F(high)).Append("\" y2=\"").Append(F(centre)).Append("\"/>");
                    foreach (var end in new[] { low, high })
                        _html.Append("<line class=\"whisker\" x1=\"").Append(F(end)).Append("\" y1=\"").Append(F(centre - 6)).Append("\" x2=\"").Append(F(end)).Append("\" y2=\"").Append(F(centre + 6)).Append("\"/>");
                }
                if (s.Items > 0 && Value(s.Accuracy) != "")
                    _html.Append("<circle class=\"dot\" cx=\"").Append(F(X(s.Accuracy))).Append("\" cy=\"").Append(F(centre)).Append("\" r=\"4\"/>");
                _html.Append("</g>\n");
            }
            _html.Append("</svg></figure>\n</section>\n");
        }

        private void LatencySection()
        {
            _html.Append("<section id=\"latency\">\n<h2>Latency</h2>\n");
            var finite = Summaries.Select(s => (s.SortedLatenciesMs ?? Array.Empty<double>()).Where(v => !double.IsNaN(v) && !double.IsInfinity(v)).ToList()).ToList();
            if (finite.All(l => l.Count == 0))
            {
                _html.Append("<p class=\"note\">No latencies were recorded.</p>\n</section>\n");
                return;
            }
            var (axisMax, step) = NiceAxis(finite.Where(l => l.Count > 0).Max(l => l.Max()));
            const double left = 60, right = 740, panelHeight = 64, labelHeight = 22, top = 6;
            var panels = Summaries.Count;
            var axisY = top + panels * (panelHeight + labelHeight);
            double X(double ms) => left + (right - left) * Math.Max(0, Math.Min(1, ms / axisMax));
            _html.Append("<p class=\"note\">Histogram of each model's latencies (").Append(HistogramBins.ToString(Invariant))
                .Append(" bins on one shared axis, each panel scaled to its tallest bin). Dashed lines: p50 and p95; their values are in the summary table.</p>\n")
                .Append("<figure><svg class=\"chart\" viewBox=\"0 0 760 ").Append(F(axisY + 30)).Append("\" role=\"img\" aria-label=\"Latency histogram per model\">\n");
            for (var m = 0; m < panels; m++)
            {
                var s = Summaries[m];
                var latencies = finite[m];
                var panelTop = top + m * (panelHeight + labelHeight);
                var baseline = panelTop + labelHeight + panelHeight;
                _html.Append("<g><text class=\"label\" x=\"").Append(F(left)).Append("\" y=\"").Append(F(panelTop + 15)).Append("\">").Append(Escape(Cut(Name(s.Model), 80))).Append("</text>");
                _html.Append("<line class=\"axis\" x1=\"").Append(F(left)).Append("\" y1=\"").Append(F(baseline)).Append("\" x2=\"").Append(F(right)).Append("\" y2=\"").Append(F(baseline)).Append("\"/>");
                if (latencies.Count == 0)
                {
                    _html.Append("<text class=\"tick\" x=\"").Append(F(left + 4)).Append("\" y=\"").Append(F(baseline - 8)).Append("\">no latencies</text></g>\n");
                    continue;
                }
                var bins = new long[HistogramBins];
                foreach (var v in latencies) bins[Math.Max(0, Math.Min(HistogramBins - 1, (int)(v / axisMax * HistogramBins)))]++;
                var tallest = bins.Max();
                var binWidth = (right - left) / HistogramBins;
                for (var b = 0; b < HistogramBins; b++)
                {
                    if (bins[b] == 0) continue;
                    var barHeight = Math.Max(1, panelHeight * bins[b] / tallest);
                    _html.Append("<rect class=\"bar\" x=\"").Append(F(left + b * binWidth + 0.5)).Append("\" y=\"").Append(F(baseline - barHeight)).Append("\" width=\"")
                        .Append(F(binWidth - 1)).Append("\" height=\"").Append(F(barHeight)).Append("\"/>");
                }
                Marker(s.P50LatencyMs, "p50", "end", panelTop + labelHeight, baseline);
                Marker(s.P95LatencyMs, "p95", "start", panelTop + labelHeight, baseline);
                _html.Append("</g>\n");
                void Marker(double? at, string label, string anchor, double from, double to)
                {
                    if (Value(at) == "") return;
                    var x = X(at!.Value);
                    _html.Append("<line class=\"marker\" x1=\"").Append(F(x)).Append("\" y1=\"").Append(F(from)).Append("\" x2=\"").Append(F(x)).Append("\" y2=\"").Append(F(to)).Append("\"/>")
                        .Append("<text class=\"tick\" x=\"").Append(F(anchor == "end" ? x - 3 : x + 3)).Append("\" y=\"").Append(F(from + 10)).Append("\" text-anchor=\"").Append(anchor).Append("\">")
                        .Append(label).Append("</text>");
                }
            }
            for (var tick = 0.0; tick <= axisMax + step / 2; tick += step)
            {
                var x = X(tick);
                _html.Append("<line class=\"axis\" x1=\"").Append(F(x)).Append("\" y1=\"").Append(F(axisY)).Append("\" x2=\"").Append(F(x)).Append("\" y2=\"").Append(F(axisY + 4)).Append("\"/>")
                    .Append("<text class=\"tick\" x=\"").Append(F(x)).Append("\" y=\"").Append(F(axisY + 18)).Append("\" text-anchor=\"middle\">")
                    .Append(tick.ToString("0.###", Invariant)).Append("</text>");
            }
            _html.Append("<text class=\"tick\" x=\"").Append(F(left - 12)).Append("\" y=\"").Append(F(axisY + 18)).Append("\" text-anchor=\"end\">ms</text>");
            _html.Append("\n</svg></figure>\n</section>\n");
        }

        private void ConfusionSection()
        {
            _html.Append("<section id=\"confusion\">\n<h2>Answers by correct choice</h2>\n<p class=\"note\">Rows: the correct choice's index. Columns: the index the model chose, or Unparsed. The diagonal holds the correct answers; shading is the share of the row. With more than 26 choices only the cells that hold answers are listed.</p>\n<div class=\"grid-list\">\n");
            var cells = Summaries.SelectMany(s => s.Confusion ?? Array.Empty<ConfusionCell>()).ToList();
            var choices = cells.Count == 0 ? 0 : cells.Max(c => Math.Max(c.Label, c.Predicted)) + 1;
            foreach (var s in Summaries)
            {
                _html.Append("<figure class=\"confusion\"><figcaption>");
                ModelLabel(s.Model);
                _html.Append("</figcaption>\n");
                var mine = (s.Confusion ?? Array.Empty<ConfusionCell>()).GroupBy(c => (c.Label, c.Predicted)).ToDictionary(g => g.Key, g => g.Sum(c => c.Count));
                if (mine.Count == 0)
                {
                    _html.Append("<p class=\"note\">No items.</p></figure>\n");
                    continue;
                }
                if (choices > MaxChoicesShown)
                {
                    // Too many choices for a grid (it grows with their square): the cells that hold answers, as a list.
                    _html.Append("<div class=\"scroll\"><table class=\"matrix\"><thead><tr><th scope=\"col\">correct</th><th scope=\"col\">chosen</th><th scope=\"col\">answers</th></tr></thead>\n<tbody>\n");
                    foreach (var cell in mine.OrderBy(c => c.Key.Label).ThenBy(c => c.Key.Predicted))
                    {
                        _html.Append("<tr><th scope=\"row\">").Append(cell.Key.Label.ToString(Invariant)).Append("</th><td>")
                            .Append(cell.Key.Predicted < 0 ? "Unparsed" : cell.Key.Predicted.ToString(Invariant)).Append("</td><td class=\"num\">");
                        Number("span", Attributes(s.Model, "Confusion", label: cell.Key.Label, predicted: cell.Key.Predicted), cell.Value.ToString(Invariant), cell.Value.ToString(Invariant));
                        _html.Append("</td></tr>\n");
                    }
                    _html.Append("</tbody></table></div></figure>\n");
                    continue;
                }
                _html.Append("<div class=\"scroll\"><table class=\"matrix\"><thead><tr><th scope=\"col\">correct \\ chosen</th>");
                for (var p = 0; p < choices; p++) _html.Append("<th scope=\"col\">").Append(p.ToString(Invariant)).Append("</th>");
                _html.Append("<th scope=\"col\">Unparsed</th></tr></thead>\n<tbody>\n");
                for (var label = 0; label < choices; label++)
                {
                    var rowTotal = mine.Where(c => c.Key.Label == label).Sum(c => c.Value);
                    _html.Append("<tr><th scope=\"row\">").Append(label.ToString(Invariant)).Append("</th>");
                    for (var p = 0; p < choices; p++) Cell(label, p);
                    Cell(label, -1);
                    _html.Append("</tr>\n");
                    void Cell(int row, int predicted)
                    {
                        mine.TryGetValue((row, predicted), out var count);
                        var share = rowTotal == 0 ? 0 : (double)count / rowTotal;
                        var css = (row == predicted ? "num diag" : "num") + (count == 0 ? " zero" : "");
                        _html.Append("<td class=\"").Append(css).Append("\" style=\"--share:").Append(share.ToString("0.###", Invariant)).Append("\">");
                        Number("span", Attributes(s.Model, "Confusion", label: row, predicted: predicted), count.ToString(Invariant), count.ToString(Invariant));
                        _html.Append("</td>");
                    }
                }
                _html.Append("</tbody></table></div></figure>\n");
            }
            _html.Append("</div>\n</section>\n");
        }

        private void ComparisonSection()
        {
            _html.Append("<section id=\"comparisons\">\n<h2>Pairwise comparisons</h2>\n<p class=\"note\">On the items both models answered. The exact two-sided McNemar test looks only at the items one model got right and the other wrong.</p>\n");
            foreach (var c in _result.Comparisons)
            {
                string nameA = Name(c.ModelA), nameB = Name(c.ModelB);
                string A(string field) => Attributes(c.ModelA, field, modelB: c.ModelB);
                _html.Append("<article class=\"pair\">\n<h3>").Append(Escape(Cut(nameA, MaxIdLength))).Append(" <span class=\"vs\">vs</span> ").Append(Escape(Cut(nameB, MaxIdLength))).Append("</h3>\n");
                _html.Append("<p class=\"verdict\">").Append(Escape(Verdict(c, Cut(nameA, MaxIdLength), Cut(nameB, MaxIdLength)))).Append("</p>\n<div class=\"pair-body\">\n");
                _html.Append("<table class=\"twobytwo\"><caption>Paired items: ");
                Number("span", A("PairedItems"), c.PairedItems.ToString(Invariant), c.PairedItems.ToString(Invariant));
                _html.Append("</caption><thead><tr><th></th><th scope=\"col\">B right</th><th scope=\"col\">B wrong</th></tr></thead><tbody>\n<tr><th scope=\"row\">A right</th><td class=\"num\">");
                Number("span", A("BothCorrect"), c.BothCorrect.ToString(Invariant), c.BothCorrect.ToString(Invariant));
                _html.Append("</td><td class=\"num odd\">");
                Number("span", A("OnlyACorrect"), c.OnlyACorrect.ToString(Invariant), c.OnlyACorrect.ToString(Invariant));
                _html.Append("</td></tr>\n<tr><th scope=\"row\">A wrong</th><td class=\"num odd\">");
                Number("span", A("OnlyBCorrect"), c.OnlyBCorrect.ToString(Invariant), c.OnlyBCorrect.ToString(Invariant));
                _html.Append("</td><td class=\"num\">");
                Number("span", A("BothWrong"), c.BothWrong.ToString(Invariant), c.BothWrong.ToString(Invariant));
                _html.Append("</td></tr>\n</tbody></table>\n<dl class=\"stats\">\n");
                Stat("Accuracy A", A("AccuracyA"), Value(c.AccuracyA), Percent(c.AccuracyA));
                Stat("Accuracy B", A("AccuracyB"), Value(c.AccuracyB), Percent(c.AccuracyB));
                Stat("Difference (A − B)", A("AccuracyDifference"), Value(c.AccuracyDifference), PercentagePoints(c.AccuracyDifference));
                Stat("McNemar exact p (two-sided)", A("McNemarP"), Value(c.McNemarP), PValue(c.McNemarP));
                Stat("Agreement (same choice)", A("AgreementRate"), Value(c.AgreementRate), Percent(c.AgreementRate));
                _html.Append("</dl>\n</div>\n<p class=\"note\">A is ").Append(Escape(Cut(nameA, MaxIdLength))).Append("; B is ").Append(Escape(Cut(nameB, MaxIdLength))).Append(".</p>\n</article>\n");
            }
            _html.Append("</section>\n");
        }

        private void Stat(string label, string attributes, string value, string text)
        {
            _html.Append("<dt>").Append(Escape(label)).Append("</dt><dd>");
            Number("span", attributes, value, text);
            _html.Append("</dd>\n");
        }

        internal static string Verdict(ModelComparison c, string nameA, string nameB)
        {
            if (c.PairedItems == 0) return "There are no paired items, so these two models cannot be compared.";
            if (c.McNemarP < 0.05)
            {
                var (better, worse) = c.OnlyACorrect > c.OnlyBCorrect ? (nameA, nameB) : (nameB, nameA);
                return "The difference is distinguishable from noise at the 0.05 level (exact McNemar p < 0.05): " + better + " answers more of these items correctly than " + worse + ".";
            }
            return "The difference is not distinguishable from noise at the 0.05 level (exact McNemar p ≥ 0.05): these items do not show that either model is more accurate.";
        }

        private void DisagreementSection()
        {
            var kept = _result.Disagreements ?? Array.Empty<Disagreement>();
            var shown = Math.Max(0, Math.Min(kept.Count, _info.MaxDisagreementRows));
            _html.Append("<section id=\"disagreements\">\n<h2>Items where the models disagree</h2>\n");
            if (kept.Count == 0)
            {
                _html.Append("<p class=\"note\">The models chose the same answer on every item.</p>\n</section>\n");
                return;
            }
            // The evaluator counts every disagreeing item, also those beyond the ones it kept.
            long? total = _result.DisagreementCount;
            var runMayHaveMore = _info.DisagreementLimit is int limit && kept.Count >= limit;
            if (shown < kept.Count || (total is long all ? all > shown : runMayHaveMore))
            {
                _html.Append("<p class=\"note capped\">Capped: the table shows the first ");
                Number("span", Attributes(null, "DisagreementsShown"), shown.ToString(Invariant), shown.ToString(Invariant));
                _html.Append(" disagreeing items in data set order");
                if (total is long known)
                {
                    _html.Append(" of ");
                    Number("span", Attributes(null, "DisagreementsTotal"), known.ToString(Invariant), known.ToString(Invariant));
                }
                else
                {
                    if (shown < kept.Count)
                    {
                        _html.Append(" of the ");
                        Number("span", Attributes(null, "DisagreementsKept"), kept.Count.ToString(Invariant), kept.Count.ToString(Invariant));
                        _html.Append(" the run kept");
                    }
                    if (runMayHaveMore) _html.Append("; the run keeps a limited number, so there may be more");
                }
                _html.Append(".</p>\n");
            }
            _html.Append("<div class=\"scroll\"><table class=\"disagreements\">\n<thead><tr><th scope=\"col\">Item</th><th scope=\"col\">Question</th><th scope=\"col\">Choices</th><th scope=\"col\">Correct</th>");
            foreach (var s in Summaries)
            {
                _html.Append("<th scope=\"col\">");
                ModelLabel(s.Model);
                _html.Append("</th>");
            }
            _html.Append("</tr></thead>\n<tbody>\n");
            foreach (var d in kept.Take(shown))
            {
                var item = d.Item;
                _html.Append("<tr data-item=\"").Append(Escape(Cut(item.Id, MaxIdLength))).Append("\"><td><code>").Append(Escape(Cut(item.Id, MaxIdLength))).Append("</code></td>")
                    .Append("<td class=\"question\">").Append(Escape(Cut(item.Question, MaxTextLength))).Append("</td><td><ol class=\"choices\">");
                for (var i = 0; i < Math.Min(item.Choices.Count, MaxChoicesShown); i++)
                    _html.Append("<li").Append(i == item.Label ? " class=\"right\"" : "").Append("><span class=\"index\">").Append(i.ToString(Invariant)).Append("</span> ")
                        .Append(Escape(Cut(item.Choices[i], MaxTextLength))).Append("</li>");
                if (item.Choices.Count > MaxChoicesShown) _html.Append("<li class=\"more\">…</li>");
                _html.Append("</ol></td><td class=\"right\">");
                Number("span", Attributes(null, "Label", item: item.Id), item.Label.ToString(Invariant), item.Label.ToString(Invariant), "index");
                _html.Append(' ').Append(Escape(Cut(item.CorrectChoice, MaxTextLength))).Append("</td>");
                for (var m = 0; m < Summaries.Count; m++)
                {
                    int? choice = m < d.Choices.Count ? d.Choices[m] : null;
                    var attributes = Attributes(Summaries[m].Model, "Choice", item: item.Id);
                    if (choice is int chosen && chosen >= 0 && chosen < item.Choices.Count)
                    {
                        _html.Append("<td class=\"").Append(chosen == item.Label ? "right" : "wrong").Append("\">");
                        Number("span", attributes, chosen.ToString(Invariant), chosen.ToString(Invariant), "index");
                        _html.Append(' ').Append(Escape(Cut(item.Choices[chosen], MaxTextLength))).Append("</td>");
                    }
                    else
                    {
                        _html.Append("<td class=\"unparsed\">");
                        Number("span", attributes, "", "Unparsed");
                        _html.Append("</td>");
                    }
                }
                _html.Append("</tr>\n");
            }
            _html.Append("</tbody>\n</table></div>\n</section>\n");
        }

        private void Footer()
        {
            _html.Append("<footer><p>Rates are percentages with one decimal, differences in percentage points, latencies in milliseconds; ")
                .Append("accuracy intervals are 95% Wilson score intervals, percentiles nearest-rank. Every number carries its exact value ")
                .Append("in a data-value attribute (invariant culture, round-trip format).</p></footer>\n");
        }
    }

    /// <summary>An axis from 0 to a round number at or above <paramref name="max"/>, with a 1, 2 or 5 × 10^k step.</summary>
    internal static (double Max, double Step) NiceAxis(double max)
    {
        if (!(max > 0)) return (1, 0.2);
        var raw = max / 5;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var normalized = raw / magnitude;
        var step = (normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10) * magnitude;
        var top = Math.Ceiling(max / step) * step;
        if (top < max) top += step;
        return (top, step);
    }

    private static string F(double value) => value.ToString("0.##", Invariant);

    private const string Css = @"
:root{--bg:#fff;--fg:#1b1f24;--muted:#59636e;--line:#d1d9e0;--grid:#eef1f4;--head:#f6f8fa;--bar:#4c78a8;--whisker:#1b1f24;--heat:76 120 168;--right:#1a7f37;--wrong:#cf222e;--right-bg:#dafbe1;--wrong-bg:#ffebe9;
--font:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,'Hiragino Sans','Hiragino Kaku Gothic ProN','Yu Gothic UI','Yu Gothic',Meiryo,'Noto Sans CJK JP','Noto Sans JP','Source Han Sans JP','Noto Sans CJK SC','Microsoft YaHei','Apple SD Gothic Neo','Malgun Gothic',sans-serif;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,'Liberation Mono','Noto Sans Mono CJK JP',monospace;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--grid:#21262d;--head:#151b23;--bar:#6ea8e0;--whisker:#e6edf3;--heat:110 168 224;--right:#3fb950;--wrong:#f85149;--right-bg:#12301d;--wrong-bg:#3c1618}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1100px;padding:24px;background:var(--bg);color:var(--fg);font:15px/1.5 var(--font);overflow-wrap:break-word}
h1{font-size:1.6em;margin:0 0 .4em}h2{font-size:1.25em;margin:1.8em 0 .5em;padding-bottom:.2em;border-bottom:1px solid var(--line)}h3{font-size:1.05em;margin:1em 0 .3em}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;margin:0}.meta dt{color:var(--muted)}.meta dd{margin:0}
nav{margin-top:.8em}nav a{color:inherit;margin-right:1em}
.note{color:var(--muted);font-size:.9em;margin:.3em 0}.capped{color:var(--fg);font-weight:600}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:.4em 0}th,td{border:1px solid var(--line);padding:.3em .6em;vertical-align:top;text-align:left}thead th{background:var(--head)}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.text{max-width:16em}td.key{font-family:var(--mono);font-size:.8em;overflow-wrap:anywhere}
.model-id{font-size:.8em;color:var(--muted);font-family:var(--mono);overflow-wrap:anywhere;font-weight:400}
figure{margin:.5em 0}svg.chart{width:100%;height:auto;max-width:900px;display:block}
svg text{font-family:var(--font);font-size:12px;fill:var(--fg)}svg .tick{fill:var(--muted);font-size:11px}
.grid{stroke:var(--grid)}.axis{stroke:var(--muted)}.bar{fill:var(--bar)}.whisker{stroke:var(--whisker);stroke-width:1.6}.dot{fill:var(--whisker)}.marker{stroke:var(--fg);stroke-dasharray:3 3}
.grid-list{display:flex;flex-wrap:wrap;gap:1.5em}.confusion figcaption{font-weight:600}
.matrix td{min-width:3em;background:rgb(var(--heat) / calc(var(--share) * .75))}.matrix td.diag{outline:2px solid var(--right);outline-offset:-2px}.matrix td.zero{color:var(--muted)}
.pair{border:1px solid var(--line);border-radius:6px;padding:.2em 1em .6em;margin:1em 0}.vs{color:var(--muted);font-weight:400}.verdict{font-weight:600}
.pair-body{display:flex;flex-wrap:wrap;gap:2em;align-items:flex-start}.twobytwo caption{text-align:left;color:var(--muted);font-size:.9em}.twobytwo td.odd{font-weight:600}
.stats{display:grid;grid-template-columns:max-content auto;gap:.1em 1em;margin:.4em 0}.stats dt{color:var(--muted)}.stats dd{margin:0;font-variant-numeric:tabular-nums}
.disagreements td{max-width:24em;min-width:5em}.disagreements td.question{min-width:12em}.choices{margin:0;padding-left:0;list-style:none}.choices li.right{color:var(--right);font-weight:600}.index{font-family:var(--mono);color:var(--muted)}
td.right{background:var(--right-bg)}td.wrong{background:var(--wrong-bg)}td.unparsed{font-style:italic;color:var(--muted)}
footer{margin-top:2.5em;color:var(--muted);font-size:.85em;border-top:1px solid var(--line)}
@media print{:root{--bg:#fff;--fg:#000;--muted:#444;--line:#999;--grid:#ddd;--head:#eee;--bar:#4c78a8;--whisker:#000;--heat:76 120 168;--right:#1a7f37;--wrong:#cf222e;--right-bg:#e6f4ea;--wrong-bg:#fce8e6;color-scheme:light}
body{max-width:none;padding:0;font-size:11pt}nav{display:none}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}figure,.pair,tr{break-inside:avoid}h2,h3,.note{break-after:avoid}.scroll{overflow:visible}}
";
}
