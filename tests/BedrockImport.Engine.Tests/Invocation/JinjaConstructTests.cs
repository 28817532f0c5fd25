#nullable enable annotations

using BedrockImport.Engine.Invocation;

namespace BedrockImport.Engine.Tests.Invocation;

/// <summary>Each Jinja construct the chat templates rely on, in isolation.</summary>
public class JinjaConstructTests
{
    private static readonly ChatMessage[] TwoMessages = { new("user", "Hi"), new("assistant", "Yo") };

    private static string Render(string template, IReadOnlyDictionary<string, object?>? variables = null, IReadOnlyList<ChatMessage>? messages = null) =>
        ChatTemplate.Parse(template, "<s>", "</s>").Render(messages ?? TwoMessages, true, variables);

    private static Dictionary<string, object?> Vars(params (string Name, object? Value)[] pairs) =>
        pairs.ToDictionary(p => p.Name, p => p.Value);

    [Theory]
    [InlineData("{{ 'a' }}", "a")]
    [InlineData("x {{ 1 + 2 }} y", "x 3 y")]
    [InlineData("{{ bos_token }}|{{ eos_token }}", "<s>|</s>")]
    [InlineData("{{ add_generation_prompt }}", "True")]
    [InlineData("{{ none }}{{ true }}{{ False }}{{ 1.0 }}{{ 7 // 2 }}{{ 7 / 2 }}", "NoneTrueFalse1.033.5")]
    [InlineData("{{ undefined_name }}", "")]
    [InlineData("{{ 'a\\nb' }}", "a\nb")]
    [InlineData("{{ \"it's\" }}", "it's")]
    [InlineData("{# a comment #}x", "x")]
    [InlineData("{{ [1, 'a'] }}", "[1, 'a']")]
    [InlineData("{{ {'k': none} }}", "{'k': None}")]
    public void Expressions_print_as_python_would(string template, string expected) => Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("a  {{- 'b' -}}  c", "abc")]
    [InlineData("a \n {%- if true -%} \n b \n {%- endif -%} \n c", "abc")]
    [InlineData("{% if true %}\nyes\n{% endif %}\nend", "yes\nend")]
    [InlineData("x\n    {% if true %}\n    y\n    {% endif %}\nz", "x\n    y\nz")]
    [InlineData("x\n    {%+ if true %}y{% endif %}", "x\n    y")]
    [InlineData("x {% if true %}y{% endif %}", "x y")]
    [InlineData("{{ 'a' }}\n{{ 'b' }}", "a\nb")]
    [InlineData("{{ 'a' }}\n", "a")]
    [InlineData("{{ 'a' }}\n\n", "a\n")]
    [InlineData("{# c #}\nx", "x")]
    public void Whitespace_control_matches_trim_blocks_and_lstrip_blocks(string template, string expected) =>
        Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData(0, "zero")]
    [InlineData(1, "one")]
    [InlineData(5, "many")]
    public void If_elif_else_picks_one_branch(int n, string expected) =>
        Assert.Equal(expected, Render("{% if n == 0 %}zero{% elif n == 1 %}one{% else %}many{% endif %}", Vars(("n", n))));

    [Fact]
    public void For_exposes_the_loop_object()
    {
        var output = Render("{% for m in messages %}[{{ loop.index0 }}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex0 }}:{{ m.role }}]{% endfor %}");
        Assert.Equal("[01TrueFalse21:user][12FalseTrue20:assistant]", output);
    }

    [Fact]
    public void For_supports_else_filters_unpacking_break_and_continue()
    {
        Assert.Equal("empty", Render("{% for x in [] %}{{ x }}{% else %}empty{% endfor %}"));
        Assert.Equal("2:1,4:2,", Render("{% for x in [1, 2, 3, 4] if x is even %}{{ x }}:{{ loop.index }},{% endfor %}"));
        Assert.Equal("a=1;b=2;", Render("{% for k, v in d | items %}{{ k }}={{ v }};{% endfor %}", Vars(("d", new Dictionary<string, object?> { ["a"] = 1, ["b"] = 2 }))));
        Assert.Equal("13", Render("{% for x in [1, 2, 3, 4, 5] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}"));
        Assert.Equal("ab", Render("{% for c in 'ab' %}{{ c }}{% endfor %}"));
    }

    [Fact]
    public void Set_in_a_loop_does_not_leak_but_a_namespace_carries_values_out()
    {
        Assert.Equal("0", Render("{% set n = 0 %}{% for m in messages %}{% set n = n + 1 %}{% endfor %}{{ n }}"));
        Assert.Equal("2", Render("{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}"));
        Assert.Equal("inner", Render("{% if true %}{% set x = 'inner' %}{% endif %}{{ x }}"));
        Assert.Equal("ab", Render("{% set x %}a{{ 'b' }}{% endset %}{{ x }}"));
    }

    [Theory]
    [InlineData("{{ '  a b \\n' | trim }}", "a b")]
    [InlineData("{{ messages | length }}", "2")]
    [InlineData("{{ 'abc' | length }}", "3")]
    [InlineData("{{ 5 | string ~ 'x' }}", "5x")]
    [InlineData("{{ 'aB' | upper }}{{ 'aB' | lower }}", "ABab")]
    [InlineData("{{ missing | default('d') }}{{ '' | default('e') }}{{ '' | default('f', true) }}", "df")]
    [InlineData("{{ (messages | first).role }}", "user")]
    [InlineData("{{ (messages | last)['content'] }}", "Yo")]
    [InlineData("{{ ['a', 'b', 'c'] | join(', ') }}", "a, b, c")]
    [InlineData("{{ ['a', 'code', 'b'] | reject('equalto', 'code') | join }}", "ab")]
    [InlineData("{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | join }}", "Hi")]
    [InlineData("{{ {'b': [1, 2.5, none, true], 'a': 'é\"'} | tojson }}", "{\"b\": [1, 2.5, null, true], \"a\": \"é\\\"\"}")]
    [InlineData("{{ {'a': 1} | tojson(indent=2) }}", "{\n  \"a\": 1\n}")]
    [InlineData("{{ [3, 1, 2] | sort | list }}", "[1, 2, 3]")]
    public void Filters(string template, string expected) => Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("{{ x is defined }}{{ y is defined }}{{ y is undefined }}", "TrueFalseTrue")]
    [InlineData("{{ none is none }}{{ x is not none }}{{ not x is defined }}", "TrueTrueFalse")]
    [InlineData("{{ x is string }}{{ 1 is string }}{{ 1 is number }}{{ {} is mapping }}{{ [] is iterable }}", "TrueFalseTrueTrueTrue")]
    [InlineData("{{ false is false }}{{ 0 is false }}{{ true is true }}", "TrueFalseTrue")]
    [InlineData("{{ 3 is odd }}{{ 3 is divisibleby 3 }}{{ 'a' is equalto 'a' }}", "TrueTrueTrue")]
    public void Tests(string template, string expected) => Assert.Equal(expected, Render(template, Vars(("x", "v"))));

    [Theory]
    [InlineData("{{ 1 == 1.0 }}{{ 'a' != 'b' }}{{ 1 < 2 < 3 }}{{ 2 >= 3 }}", "TrueTrueTrueFalse")]
    [InlineData("{{ true and 'x' }}|{{ '' or 'y' }}|{{ not '' }}|{{ false and undefined_thing.x }}", "x|y|True|False")]
    [InlineData("{{ 'ell' in 'hello' }}{{ 'role' in messages[0] }}{{ 3 in [1, 2] }}{{ 3 not in [1, 2] }}", "TrueTrueFalseTrue")]
    [InlineData("{{ 'a' ~ 1 ~ none }}", "a1None")]
    [InlineData("{{ 'a' + 'b' }}{{ [1] + [2] }}{{ 2 * 3 }}{{ 'ab' * 2 }}{{ 2 ** 3 }}", "ab[1, 2]6abab8")]
    [InlineData("{{ 7 % 3 }}{{ -7 % 3 }}{{ 4 % 2 == 0 }}", "12True")]
    [InlineData("{{ 1 + 2 * 3 }}|{{ (1 + 2) * 3 }}|{{ messages|length - 1 }}|{{ -1 + 3 }}", "7|9|1|2")]
    [InlineData("{{ 'yes' if messages else 'no' }}{{ 'a' if false }}", "yes")]
    public void Operators(string template, string expected) => Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("{{ messages[0]['role'] }}{{ messages[1].content }}{{ messages[-1].role }}", "userYoassistant")]
    [InlineData("{{ messages[1:] | length }}{{ messages[:1][0].content }}{{ messages[5] is defined }}", "1HiFalse")]
    [InlineData("{{ (messages[::-1] | first).role }}{{ 'abcdef'[1:4] }}{{ 'abcdef'[::-2] }}{{ 'abc'[-1] }}", "assistantbcdfdbc")]
    [InlineData("{{ messages[0].missing is defined }}{{ messages[0]['missing'] }}", "False")]
    [InlineData("{{ {'a': 1}.get('a') }}{{ {'a': 1}.get('b', 2) }}{{ {'a': 1}.items() | list }}", "12[['a', 1]]")]
    public void Subscripts_attributes_and_slices(string template, string expected) => Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("{{ '  x \\n'.strip() }}|{{ '\\nx\\n'.lstrip('\\n') }}|{{ 'x--'.rstrip('-') }}", "x|x\n|x")]
    [InlineData("{{ 'hello'.startswith('he') }}{{ 'hello'.endswith('lo') }}{{ 'hello'.startswith(('x', 'h')) }}", "TrueTrueTrue")]
    [InlineData("{{ 'a</t>b</t>c'.split('</t>') }}{{ ' a  b '.split() }}{{ 'a,b,c'.split(',', 1) }}", "['a', 'b', 'c']['a', 'b']['a', 'b,c']")]
    [InlineData("{{ 'Ab'.upper() }}{{ 'Ab'.lower() }}{{ 'a-b'.replace('-', '+') }}", "ABaba+b")]
    public void String_methods(string template, string expected) => Assert.Equal(expected, Render(template));

    [Fact]
    public void Constructs_from_newer_mistral_and_llama_templates()
    {
        var messages = new[] { new ChatMessage("user", "a"), new ChatMessage("assistant", "b"), new ChatMessage("user", "c") };

        Assert.Equal("a|c", Render("{%- set users = messages | selectattr('role', 'equalto', 'user') | list %}{{ users | map(attribute='content') | join('|') }}", messages: messages));
        Assert.Equal("3", Render("{{ messages | selectattr('tool_calls', 'undefined') | list | length }}", messages: messages));
        Assert.Equal("c", Render("{%- set users = messages | selectattr('role', 'equalto', 'user') | list %}{% for m in messages %}{% if m == users[-1] %}{{ m.content }}{% endif %}{% endfor %}", messages: messages));
        Assert.Equal("name=f;", Render("{% for key, val in tool.items() if key != 'return' %}{{ key }}={{ val }};{% endfor %}",
            Vars(("tool", new Dictionary<string, object?> { ["name"] = "f", ["return"] = "x" }))));

        const string llama32Date = "{%- if strftime_now is defined %}{%- set date_string = strftime_now('%d %b %Y') %}{%- else %}{%- set date_string = '26 Jul 2024' %}{%- endif %}{{ date_string }}";
        var template = ChatTemplate.Parse(llama32Date);
        template.Clock = () => new DateTime(2026, 11, 27, 0, 0, 0, DateTimeKind.Utc);
        Assert.Equal("27 Nov 2026", template.Render(messages));
    }

    [Fact]
    public void Macros_render_with_positional_keyword_and_default_arguments()
    {
        var output = Render("{% macro tag(name, body='x') %}<{{ name }}>{{ body }}</{{ name }}>{% endmacro %}{{ tag('a') }}{{ tag('b', 'y') }}{{ tag('c', body='z') }}");
        Assert.Equal("<a>x</a><b>y</b><c>z</c>", output);
    }

    [Fact]
    public void Raise_exception_carries_the_templates_message()
    {
        var error = Assert.Throws<ChatTemplateRaisedException>(() => Render("{% if messages|length > 1 %}{{ raise_exception('Only one message, please: ' ~ messages|length) }}{% endif %}"));
        Assert.Equal("Only one message, please: 2", error.TemplateMessage);
    }

    [Fact]
    public void Raise_exception_reports_the_template_line()
    {
        var error = Assert.Throws<ChatTemplateRaisedException>(() => ChatTemplate.Parse("a\n\n{{ raise_exception('no') }}").Render(TwoMessages));
        Assert.Equal(3, error.TemplateLine);
        Assert.Equal("no", error.Message);
    }

    [Fact]
    public void Runaway_templates_are_stopped()
    {
        var loops = ChatTemplate.Parse("{% for i in range(10) %}{% for j in range(10) %}{% endfor %}{% endfor %}");
        loops.MaxLoopIterations = 50;
        Assert.Contains("loop iterations", Assert.ThrowsAny<ChatTemplateException>(() => loops.Render(TwoMessages)).Message);
        loops.MaxLoopIterations = 110;
        Assert.Equal("", loops.Render(TwoMessages));

        Assert.ThrowsAny<ChatTemplateException>(() => Render("{{ 'ab' * 100000000 }}"));
        Assert.ThrowsAny<ChatTemplateException>(() => Render("{{ [1] * 100000000 }}"));
    }

    [Fact]
    public void Strftime_now_uses_the_injected_clock()
    {
        var template = ChatTemplate.Parse("{{ strftime_now('%d %b %Y') }}");
        template.Clock = () => new DateTime(2026, 3, 5, 0, 0, 0, DateTimeKind.Utc);
        Assert.Equal("05 Mar 2026", template.Render(TwoMessages));
    }

    [Fact]
    public void Raw_blocks_are_copied_verbatim()
    {
        Assert.Equal("{{ not evaluated }}", Render("{% raw %}{{ not evaluated }}{% endraw %}"));
    }

    [Theory]
    [InlineData("{% if true %}never closed")]
    [InlineData("{% for x in %}{% endfor %}")]
    [InlineData("{{ 'unterminated }}")]
    [InlineData("{% endif %}")]
    [InlineData("{% include 'other.jinja' %}")]
    [InlineData("{{ 1 +* 2 }}")]
    public void Syntax_errors_fail_at_parse_time(string template)
    {
        Assert.ThrowsAny<ChatTemplateException>(() => ChatTemplate.Parse(template));
    }

    [Fact]
    public void Syntax_errors_name_the_line()
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("line one\nline two\n{{ 1 +* 2 }}"));
        Assert.Equal(3, error.Line);
    }

    [Theory]
    [InlineData("{{ x | no_such_filter }}", "no_such_filter")]
    [InlineData("{{ 'a' + 1 }}", "Unsupported operand")]
    [InlineData("{{ undefined_function() }}", "not callable")]
    [InlineData("{% set n.x = 1 %}", "namespace")]
    public void Render_errors_are_chat_template_exceptions(string template, string fragment)
    {
        var error = Assert.Throws<ChatTemplateException>(() => Render(template, Vars(("x", "v"))));
        Assert.Contains(fragment, error.Message);
    }

    // Expected values are what CPython 3 prints for the same expressions (str.isspace(), str.strip(), str.split()).
    [Theory]
    [InlineData("{{ x | trim }}", "\u3000こんにちは\u00a0", "こんにちは")]
    [InlineData("{{ x.strip() }}", "\u2003 a b \u205f\u001f", "a b")]
    [InlineData("{{ x.lstrip() }}|", "\u00a0\u3000a\u3000", "a\u3000|")]
    [InlineData("{{ x.rstrip() }}|", "\u3000a\u3000\u0085", "\u3000a|")]
    [InlineData("{{ x.split() | join(',') }}", "a\u3000b\u00a0\u00a0c", "a,b,c")]
    [InlineData("{{ x.isspace() }}", "\u3000\u1680\u001c", "True")]
    [InlineData("{{ x.isspace() }}", "\u200b", "False")]
    [InlineData("{{ x.strip() | length }}", "\u200ba\u200b", "3")]
    [InlineData("{{ x | int + 1 }}", "\u30007\u3000", "8")]
    [InlineData("a\u3000{{- x -}}\u00a0b", "-", "a-b")]
    public void Whitespace_is_what_python_calls_whitespace(string template, string x, string expected)
        => Assert.Equal(expected, Render(template, Vars(("x", x))));
}
