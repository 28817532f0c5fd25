using System.Globalization;
using System.Text;
using System.Text.Json;

namespace BedrockImport.Engine.Invocation;

public enum ChatCommandOutcome
{
    /// <summary>Not a command: send the line to the model.</summary>
    Message,
    /// <summary>A command that was carried out; Feedback says what happened.</summary>
    Handled,
    /// <summary>/bye: leave the chat.</summary>
    Leave,
}

/// <summary>The state of an interactive chat (history, system prompt, settings) and its slash commands, with no
/// console in it, so the whole conversation logic can be tested without a terminal.</summary>
public sealed class ChatSession
{
    public const string HelpText =
        "Commands: /temperature <0-2>, /maxtokens <n>, /system <text> (empty clears it), /clear (forget the conversation), " +
        "/save <file.json>, /history, /bye. Start and end a multi-line message with \"\"\". Ctrl+C stops a reply.";

    private readonly List<ChatMessage> _history = new List<ChatMessage>();

    public ChatSession(string model)
    {
        Model = model;
    }

    public string Model { get; }

    public string? SystemPrompt { get; set; }

    public double? Temperature { get; set; }

    public int? MaxTokens { get; set; }

    public IReadOnlyList<ChatMessage> History => _history;

    /// <summary>What the last command did, for the user.</summary>
    public string Feedback { get; private set; } = "";

    /// <summary>Carries out a /command. Anything else is a message for the model.</summary>
    public ChatCommandOutcome Handle(string line, Func<string, string> resolvePath)
    {
        var text = line.Trim();
        if (!text.StartsWith("/", StringComparison.Ordinal))
        {
            return ChatCommandOutcome.Message;
        }

        var space = text.IndexOf(' ');
        var command = (space < 0 ? text : text.Substring(0, space)).ToLowerInvariant();
        var argument = space < 0 ? "" : text.Substring(space + 1).Trim();
        switch (command)
        {
            case "/bye":
            case "/exit":
            case "/quit":
                Feedback = "Bye.";
                return ChatCommandOutcome.Leave;
            case "/temperature":
                if (!double.TryParse(argument, NumberStyles.Float, CultureInfo.InvariantCulture, out var temperature) || temperature < 0 || temperature > 2)
                {
                    Feedback = "Usage: /temperature <a number from 0 to 2>, e.g. /temperature 0.2";
                }
                else
                {
                    Temperature = temperature;
                    Feedback = "Temperature set to " + temperature.ToString(CultureInfo.InvariantCulture) + ".";
                }

                return ChatCommandOutcome.Handled;
            case "/maxtokens":
                if (!int.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out var maxTokens) || maxTokens < 1)
                {
                    Feedback = "Usage: /maxtokens <a whole number of 1 or more>";
                }
                else
                {
                    MaxTokens = maxTokens;
                    Feedback = "Replies are limited to " + maxTokens + " tokens.";
                }

                return ChatCommandOutcome.Handled;
            case "/system":
                SystemPrompt = argument.Length == 0 ? null : argument;
                Feedback = SystemPrompt == null ? "System prompt cleared." : "System prompt set.";
                return ChatCommandOutcome.Handled;
            case "/clear":
                _history.Clear();
                Feedback = "Conversation cleared.";
                return ChatCommandOutcome.Handled;
            case "/history":
                Feedback = _history.Count == 0 ? "(no messages yet)" : string.Join(Environment.NewLine, _history.Select(m => m.Role + ": " + m.Content));
                return ChatCommandOutcome.Handled;
            case "/save":
                if (argument.Length == 0)
                {
                    Feedback = "Usage: /save <file.json>";
                    return ChatCommandOutcome.Handled;
                }

                var path = resolvePath(argument);
                try
                {
                    File.WriteAllText(path, ToJson(), new UTF8Encoding(false));
                    Feedback = $"Saved {_history.Count} messages to {path}.";
                }
                catch (Exception error) when (error is IOException || error is UnauthorizedAccessException)
                {
                    Feedback = $"Could not save to {path}: {error.Message}";
                }

                return ChatCommandOutcome.Handled;
            case "/help":
            case "/?":
                Feedback = HelpText;
                return ChatCommandOutcome.Handled;
            default:
                Feedback = $"Unknown command {command}. " + HelpText;
                return ChatCommandOutcome.Handled;
        }
    }

    /// <summary>The conversation to send for a new user message (history plus the message; the system prompt apart).</summary>
    public IReadOnlyList<ChatMessage> WithUserMessage(string message)
        => _history.Concat(new[] { new ChatMessage(ChatRoles.User, message) }).ToList();

    /// <summary>Records a finished (or stopped) exchange. A stopped reply keeps what the user saw.</summary>
    public void Record(string userMessage, string reply)
    {
        _history.Add(new ChatMessage(ChatRoles.User, userMessage));
        _history.Add(new ChatMessage(ChatRoles.Assistant, reply));
    }

    public string ToJson()
    {
        var document = new Dictionary<string, object?>
        {
            ["model"] = Model,
            ["system"] = SystemPrompt,
            ["temperature"] = Temperature,
            ["maxTokens"] = MaxTokens,
            ["messages"] = _history.Select(m => new Dictionary<string, string> { ["role"] = m.Role, ["content"] = m.Content }).ToList(),
        };
        return JsonSerializer.Serialize(document, Json.EngineJson.FileOptions);
    }
}
