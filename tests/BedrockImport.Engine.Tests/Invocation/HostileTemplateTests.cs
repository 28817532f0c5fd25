#nullable enable annotations

using System.Collections;
using BedrockImport.Engine.Errors;
using BedrockImport.Engine.Invocation;

namespace BedrockImport.Engine.Tests.Invocation;

/// <summary>Chat templates are programs from strangers' repositories: each runaway kind is stopped with its own limit
/// error, naming the model, and nothing in a template reaches beyond the documented values.</summary>
public class HostileTemplateTests
{
    private const string Model = "arn:aws:bedrock:us-east-1:111122223333:imported-model/hostile";
    private static readonly ChatMessage[] Hi = { new("user", "Hi") };

    private static ChatTemplate Parse(string source) => ChatTemplate.Parse(source, "<s>", "</s>", Model);

    private static ChatTemplateLimitException RenderFails(string source, Action<ChatTemplate>? configure = null)
    {
        var template = Parse(source);
        configure?.Invoke(template);
        return Assert.Throws<ChatTemplateLimitException>(() => template.Render(Hi));
    }

    private static void AssertNames(ChatTemplateLimitException error, ChatTemplateLimit limit, long value)
    {
        Assert.Equal(limit, error.Limit);
        Assert.Equal(value, error.LimitValue);
        Assert.Equal(Model, error.ModelName);
        Assert.Contains(Model, error.Message);
        Assert.Contains(value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), error.Message);
        Assert.Equal("ChatTemplateLimitExceeded", error.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, error.Kind);
    }

    [Fact]
    public void Nested_loops_over_a_million_stop_at_the_loop_limit()
    {
        // The clock is pushed out of the way: on a loaded machine a million iterations can near the 10 s default.
        var error = RenderFails("{% for i in range(10**6) %}{% for j in range(10**6) %}{% endfor %}{% endfor %}", t => t.MaxRenderTime = TimeSpan.FromHours(1));

        AssertNames(error, ChatTemplateLimit.LoopIterations, ChatTemplate.DefaultMaxLoopIterations);
        Assert.Contains("MaxLoopIterations", error.Message);
        Assert.Equal(1, error.Line);
    }

    [Fact]
    public void A_string_that_doubles_in_a_loop_stops_at_the_output_limit()
    {
        // A {% set %} in a loop body is local to one iteration, so the doubling goes through a namespace.
        var error = RenderFails("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}");

        AssertNames(error, ChatTemplateLimit.OutputLength, ChatTemplate.DefaultMaxOutputLength);
    }

    [Fact]
    public void A_macro_that_doubles_its_argument_at_every_level_stops_at_the_output_limit()
    {
        // Sixty levels, well inside the nesting limit, yet 2**60 characters at the bottom.
        var error = RenderFails("{% macro grow(s, n) %}{% if n > 0 %}{{ grow(s ~ s, n - 1) }}{% else %}{{ s }}{% endif %}{% endmacro %}{{ grow('ab', 60) }}");

        AssertNames(error, ChatTemplateLimit.OutputLength, ChatTemplate.DefaultMaxOutputLength);
    }

    [Theory]
    [InlineData("{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}")]
    [InlineData("{{ [1, 2] * 4611686018427387904 }}")]
    [InlineData("{{ range(-4611686018427387904, 4611686018427387904) | length }}")]
    public void A_list_that_outgrows_the_loop_limit_is_stopped(string source)
    {
        AssertNames(RenderFails(source), ChatTemplateLimit.ListLength, ChatTemplate.DefaultMaxLoopIterations);
    }

    [Theory]
    // 'ab' * 2**62 is 2**63 characters: the product overflowed a long and went through as a negative length before.
    [InlineData("{{ 'ab' * 4611686018427387904 }}")]
    [InlineData("{{ ('x' * 1000000).replace('x', 'y' * 1000) }}")]
    [InlineData("{{ ('x' * 1000000) | replace('x', 'yy' * 500) }}")]
    [InlineData("{{ ([('x' * 1000000)] * 100) | join(',') }}")]
    [InlineData("{{ ','.join([('x' * 1000000)] * 100) }}")]
    [InlineData("{{ ('x\\n' * 100000) | indent(1000, true) }}")]
    [InlineData("{{ [('x' * 1000000)] * 100 }}")]
    [InlineData("{{ ([('x' * 1000000)] * 100) | tojson }}")]
    [InlineData("{{ [1, [2]] | tojson(indent=100000000) }}")]
    [InlineData("{% macro m() %}{{ 'x' * 1000000 }}{% endmacro %}{% for i in range(100) %}{{ m() }}{% endfor %}")]
    public void Every_way_of_building_a_long_string_stops_at_the_output_limit(string source)
    {
        AssertNames(RenderFails(source, t => t.MaxOutputLength = 10_000_000), ChatTemplateLimit.OutputLength, 10_000_000);
    }

    [Theory]
    // Each value is within MaxOutputLength, but a million kept at once would fill any machine's memory.
    [InlineData("{% for i in range(100000) %}{% set ns.l = ns.l + [big[i:]] %}{% endfor %}")]
    [InlineData("{% for i in range(100000) %}{% set ns.l = ns.l + [big ~ i] %}{% endfor %}")]
    [InlineData("{% for i in range(100000) %}{% set x %}{{ big }}{% endset %}{% set ns.l = ns.l + [x] %}{% endfor %}")]
    [InlineData("{% for i in range(100000) %}{% set ns.l = ns.l + [{ns.k: i}] %}{% endfor %}")]
    [InlineData("{% for i in range(100000) %}{% set ns.l = ns.l + [range(1000000)] %}{% endfor %}")]
    public void Keeping_many_big_values_stops_at_the_memory_limit(string loop)
    {
        const string setup = "{% set big = 'x' * 1000000 %}{% set ns = namespace(l=[], k=[big]) %}";

        AssertNames(RenderFails(setup + loop, t => t.MaxRenderMemory = 50_000_000), ChatTemplateLimit.Memory, 50_000_000);
    }

    [Fact]
    public void The_memory_limit_is_on_by_default()
    {
        // Strings of the longest output allowed, kept in a list: a dozen reach the default.
        var error = RenderFails("{% set big = 'x' * 25000000 %}{% set ns = namespace(l=[]) %}{% for i in range(1000) %}{% set ns.l = ns.l + [big ~ i] %}{% endfor %}",
            t => t.MaxOutputLength = 30_000_000);

        AssertNames(error, ChatTemplateLimit.Memory, ChatTemplate.DefaultMaxRenderMemory);
    }

    [Fact]
    public void A_prompt_of_millions_of_characters_built_by_concatenation_is_within_the_memory_limit()
    {
        var template = Parse("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}");
        var content = new string('w', 4_000_000);

        var prompt = template.Render(new[] { new ChatMessage("user", content), new ChatMessage("assistant", content) });

        Assert.Equal(2 * (content.Length + "<|im_start|>user\n<|im_end|>\n".Length) + 5, prompt.Length);
    }

    [Fact]
    public void Macros_recursing_without_end_stop_at_the_nesting_limit()
    {
        var error = RenderFails("{% macro a(n) %}{{ b(n + 1) }}{% endmacro %}{% macro b(n) %}{{ a(n + 1) }}{% endmacro %}{{ a(0) }}");

        AssertNames(error, ChatTemplateLimit.NestingDepth, ChatTemplate.DefaultMaxNestingDepth);
    }

    [Fact]
    public void Recursion_as_deep_as_the_limit_allows_renders()
    {
        var template = Parse("{% macro down(n) %}{% if n > 0 %}{{ down(n - 1) }}{% else %}bottom{% endif %}{% endmacro %}{{ down(depth) }}");

        Assert.Equal("bottom", template.Render(Hi, true, new Dictionary<string, object?> { ["depth"] = ChatTemplate.DefaultMaxNestingDepth - 1 }));
    }

    [Theory]
    [InlineData("(", ")")]
    [InlineData("[", "]")]
    [InlineData("{'k': ", "}")]
    [InlineData("f(", ")")]
    [InlineData("not ", "")]
    [InlineData("-", "")]
    [InlineData("{% if true %}", "{% endif %}")]
    public void Deeply_nested_syntax_fails_to_parse_instead_of_overflowing_the_stack(string open, string close)
    {
        var nested = string.Concat(Enumerable.Repeat(open, 100_000)) + "1" + string.Concat(Enumerable.Repeat(close, 100_000));
        var source = open.StartsWith("{%", StringComparison.Ordinal) ? nested : "{{ " + nested + " }}";

        var error = Assert.Throws<ChatTemplateLimitException>(() => Parse(source));

        AssertNames(error, ChatTemplateLimit.NestingDepth, ChatTemplate.DefaultMaxNestingDepth);
    }

    [Theory]
    [InlineData(" ~ 'a'")]
    [InlineData(" + 1")]
    [InlineData(" | trim")]
    [InlineData(".x")]
    [InlineData("[0]")]
    [InlineData(" and x")]
    public void Long_operator_chains_are_bounded_as_they_are_parsed(string link)
    {
        // Built without recursion, but evaluated by it: a chain is as deep as it is long.
        var source = "{{ x" + string.Concat(Enumerable.Repeat(link, 100_000)) + " }}";

        AssertNames(Assert.Throws<ChatTemplateLimitException>(() => Parse(source)), ChatTemplateLimit.NestingDepth, ChatTemplate.DefaultMaxNestingDepth);
    }

    [Fact]
    public void A_list_nested_a_thousand_deep_cannot_be_printed_compared_or_serialized()
    {
        const string build = "{% set ns = namespace(l=[]) %}{% for i in range(1000) %}{% set ns.l = [ns.l] %}{% endfor %}";

        AssertNames(RenderFails(build + "{{ ns.l }}"), ChatTemplateLimit.NestingDepth, ChatTemplate.DefaultMaxNestingDepth);
        AssertNames(RenderFails(build + "{{ ns.l | tojson }}"), ChatTemplateLimit.NestingDepth, ChatTemplate.DefaultMaxNestingDepth);
        AssertNames(RenderFails(build + "{{ ns.l == ns.l }}"), ChatTemplateLimit.NestingDepth, ChatTemplate.DefaultMaxNestingDepth);
        AssertNames(RenderFails(build + "{{ [ns.l, ns.l] | sort }}"), ChatTemplateLimit.NestingDepth, ChatTemplate.DefaultMaxNestingDepth);
    }

    [Fact]
    public void A_render_that_takes_too_long_stops_at_the_time_limit()
    {
        // Each iteration is quick, but there are a hundred thousand quadratic ones; a zero time limit trips at the first check.
        var error = RenderFails("{% for i in range(100000) %}{{ range(1000) | unique | length }}{% endfor %}", t => t.MaxRenderTime = TimeSpan.Zero);

        Assert.Equal(ChatTemplateLimit.RenderTime, error.Limit);
        Assert.Equal(0, error.LimitValue);
        Assert.Equal(Model, error.ModelName);
        Assert.Contains("MaxRenderTime", error.Message);
    }

    [Fact]
    public void A_quadratic_filter_on_one_big_list_is_stopped_by_the_clock()
    {
        var error = RenderFails("{{ range(1000000) | unique | length }}", t => t.MaxRenderTime = TimeSpan.FromMilliseconds(50));

        Assert.Equal(ChatTemplateLimit.RenderTime, error.Limit);
        Assert.Equal(50, error.LimitValue);
    }

    [Fact]
    public void A_cancelled_render_stops_with_the_callers_cancellation()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        var template = Parse("{% for i in range(10) %}{{ i }}{% endfor %}");

        Assert.ThrowsAny<OperationCanceledException>(() => template.Render(Hi, true, null, cancellation.Token));
    }

    [Fact]
    public void A_template_without_a_model_name_still_names_the_limit()
    {
        var template = ChatTemplate.Parse("{% for i in range(3) %}{% for j in range(3) %}{% endfor %}{% endfor %}");
        template.MaxLoopIterations = 5;

        var error = Assert.Throws<ChatTemplateLimitException>(() => template.Render(Hi));

        Assert.Null(error.ModelName);
        Assert.StartsWith("The chat template ran more than 5 loop iterations", error.Message);
    }

    [Fact]
    public void The_model_name_comes_from_the_source_reader()
    {
        var template = ChatTemplateSource.Read("{% for i in range(3) %}{% for j in range(3) %}{% endfor %}{% endfor %}", null, "my-model")!;
        template.MaxLoopIterations = 5;

        Assert.Equal("my-model", Assert.Throws<ChatTemplateLimitException>(() => template.Render(Hi)).ModelName);
    }

    [Theory]
    [InlineData("{{ messages.__class__ }}")]
    [InlineData("{{ messages.__class__.__mro__ }}")]
    [InlineData("{{ messages[0].__class__.__init__.__globals__ }}")]
    [InlineData("{{ ''.__class__.__mro__ }}")]
    [InlineData("{{ raise_exception.__globals__ }}")]
    [InlineData("{{ range.__code__ }}")]
    [InlineData("{{ namespace.__init__ }}")]
    [InlineData("{{ messages.mro }}")]
    [InlineData("{{ (1).__class__ }}")]
    [InlineData("{{ self }}{{ config }}{{ request }}{{ lipsum }}{{ cycler }}{{ joiner }}{{ os }}{{ environ }}{{ __builtins__ }}")]
    [InlineData("{{ messages.__dict__ }}{{ messages.__len__ }}{{ messages.__getitem__ }}")]
    [InlineData("{{ loop }}{{ varargs }}{{ caller }}")]
    public void Python_internals_are_undefined(string source)
    {
        Assert.Equal("", Parse(source).Render(Hi));
    }

    [Fact]
    public void A_dunder_attribute_is_undefined_even_on_a_dict_holding_that_key()
    {
        var variables = new Dictionary<string, object?> { ["d"] = new Dictionary<string, object?> { ["__class__"] = "data" } };

        Assert.Equal("|data", Parse("{{ d.__class__ }}|{{ d['__class__'] }}").Render(Hi, true, variables));
    }

    [Theory]
    [InlineData("{{ ''.__class__.__mro__[1].__subclasses__() }}", "not callable")]
    [InlineData("{{ messages.__class__.__init__.__globals__['os'].system('id') }}", "not callable")]
    [InlineData("{% include '/etc/passwd' %}", "does not support")]
    [InlineData("{% import 'os' as os %}", "does not support")]
    [InlineData("{% from 'x' import y %}", "does not support")]
    [InlineData("{% extends '/etc/passwd' %}", "does not support")]
    public void Climbing_out_of_the_template_is_a_clear_error(string source, string fragment)
    {
        var error = Assert.ThrowsAny<ChatTemplateException>(() => Parse(source).Render(Hi));

        Assert.Contains(fragment, error.Message);
    }

    [Fact]
    public void Caller_values_reach_the_template_as_plain_data_only()
    {
        var variables = new Dictionary<string, object?>
        {
            ["file"] = new FileInfo("/etc/passwd"),
            ["type"] = typeof(Environment),
        };

        var rendered = Parse("{{ file }}|{{ file.FullName }}|{{ file.OpenText }}|{{ type.Assembly }}|{{ type }}").Render(Hi, true, variables);

        // A FileInfo is its text and nothing more: no members, no methods.
        Assert.Equal("/etc/passwd||||System.Environment", rendered);
    }

    [Fact]
    public void A_caller_hashtable_that_contains_itself_is_refused_instead_of_overflowing_the_stack()
    {
        var loop = new Hashtable();
        loop["self"] = loop;

        Assert.Throws<ChatTemplateLimitException>(() => Parse("{{ x }}").Render(Hi, true, new Dictionary<string, object?> { ["x"] = loop }));
    }

    [Fact]
    public void The_absolute_value_of_the_smallest_integer_is_a_template_error()
    {
        // Python answers 2**63, which no long holds; Math.Abs threw an OverflowException.
        Assert.Contains("abs", Assert.Throws<ChatTemplateException>(() => Parse("{{ (-9223372036854775807 - 1) | abs }}").Render(Hi)).Message);
    }

    [Theory]
    [InlineData("{{ 10**100 }}", "10 ** 100")]
    [InlineData("{{ 2**63 }}", "2 ** 63")]
    [InlineData("{{ 9223372036854775807 + 1 }}", "9223372036854775807 + 1")]
    [InlineData("{{ -9223372036854775807 - 2 }}", "-9223372036854775807 - 2")]
    [InlineData("{{ 4294967296 * 4294967296 }}", "4294967296 * 4294967296")]
    [InlineData("{{ (-9223372036854775807 - 1) // -1 }}", "-9223372036854775808 // -1")]
    [InlineData("{{ -(-9223372036854775807 - 1) }}", "-(-9223372036854775808)")]
    [InlineData("{{ [9223372036854775807, 1] | sum }}", "9223372036854775807 + 1")]
    [InlineData("{{ 1e300 | int }}", "1e+300")]
    [InlineData("{{ '1e300' | int }}", "1e+300")]
    [InlineData("{{ range(1e19) }}", "1e+19")]
    public void Integer_overflow_is_a_template_error(string source, string operation)
    {
        // A fuzzer found these escaping as OverflowException (or wrapping round silently): Python has big integers,
        // the renderer has 64-bit ones and must say so.
        var error = Assert.Throws<ChatTemplateException>(() => Parse(source).Render(Hi));

        Assert.Contains(operation, error.Message);
        Assert.Contains("64-bit", error.Message);
        Assert.Equal(1, error.Line);
    }

    [Theory]
    [InlineData("{{ 99999999999999999999999999999999 }}", "99999999999999999999999999999999")]
    [InlineData("{% if 222222222222222222222222222222 %}x{% endif %}", "222222222222222222222222222222")]
    [InlineData("{{ 9223372036854775808 }}", "9223372036854775808")]
    public void An_integer_literal_past_64_bits_fails_to_parse_as_a_template_error(string source, string literal)
    {
        var error = Assert.Throws<ChatTemplateException>(() => Parse(source));

        Assert.Contains(literal, error.Message);
        Assert.Contains("64-bit", error.Message);
    }

    [Fact]
    public void A_literal_a_million_digits_long_is_not_quoted_in_full()
    {
        var error = Assert.Throws<ChatTemplateException>(() => Parse("{{ " + new string('9', 1_000_000) + " }}"));

        Assert.Contains("1000000 digits", error.Message);
        Assert.True(error.Message.Length < 300, error.Message);
    }

    [Theory]
    [InlineData("{{ 9223372036854775806 + 1 }}", "9223372036854775807")]
    [InlineData("{{ -9223372036854775807 - 1 }}", "-9223372036854775808")]
    [InlineData("{{ 2**62 - 1 + 2**62 }}", "9223372036854775807")]
    [InlineData("{{ 3**39 }}|{{ (-2)**63 }}|{{ (-1)**9223372036854775807 }}|{{ 0**0 }}|{{ 2**-1 }}", "4052555153018976267|-9223372036854775808|-1|1|0.5")]
    [InlineData("{{ 4611686018427387905 // 1 }}|{{ -7 // 2 }}|{{ 7 // -2 }}|{{ -7 % 3 }}|{{ 7 % -3 }}", "4611686018427387905|-4|-4|2|-2")]
    [InlineData("{{ 9223372036854775807 % 9223372036854775806 }}|{{ -9223372036854775807 % 9223372036854775807 }}", "1|0")]
    public void Integer_arithmetic_up_to_64_bits_is_exact(string source, string expected)
    {
        Assert.Equal(expected, Parse(source).Render(Hi));
    }

    [Fact]
    public void The_loop_variable_answers_every_attribute_per_iteration()
    {
        // loop is worked out on demand (a million iterations must stay cheap); each attribute as Jinja defines it.
        var rendered = Parse("{% for x in ['a', 'b', 'c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}"
            + "{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.previtem }}{{ loop.nextitem }}{{ loop.cycle('o', 'e') }}{{ loop['index'] }}{{ loop.nothing }};{% endfor %}")
            .Render(Hi);

        Assert.Equal("1032TrueFalse3bo1;2121FalseFalse3ace2;3210FalseTrue3bo3;", rendered);
    }

    // Regressions found while bounding the renderer: each threw a .NET exception (or hung) instead of rendering or
    // failing as a template error.
    [Theory]
    [InlineData("{{ 'abc'[1:3:9223372036854775807] }}", "b")]
    [InlineData("{{ 'abc'[::-9223372036854775807 - 1] }}", "c")]
    [InlineData("{{ [1, 2, 3][::-9223372036854775807 - 1] }}", "[3]")]
    [InlineData("{{ (-9223372036854775807 - 1) % -1 }}", "0")]
    [InlineData("{{ [1] | tojson(indent=-3) }}", "[\n1\n]")]
    [InlineData("{{ range(5, 0, -9223372036854775807 - 1) | list }}", "[5]")]
    [InlineData("{{ 'abcdef'[1:] }}|{{ 'abcdef'[::2] }}|{{ 'abcdef'[::-1] }}|{{ 'abcdef'[-2:] }}", "bcdef|ace|fedcba|ef")]
    [InlineData("{{ range(0, 10, 3) | list }}|{{ range(10, 0, -4) | list }}|{{ range(3) | list }}", "[0, 3, 6, 9]|[10, 6, 2]|[0, 1, 2]")]
    public void Edge_values_render_as_python_would(string source, string expected)
    {
        Assert.Equal(expected, Parse(source).Render(Hi));
    }
}
