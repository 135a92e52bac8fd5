namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>A template that is not valid Jinja (jinja2's TemplateSyntaxError); the line is the template's, from 1.</summary>
internal sealed class TemplateSyntaxError(string message, int line) : Exception(message)
{
    public int Line { get; } = line;
}

/// <summary>
/// An error while rendering (jinja2's UndefinedError, TypeError, SecurityError...). The line is filled in by the
/// statement that was running when it surfaced, so the code that raises it need not know where it is.
/// </summary>
internal sealed class TemplateRuntimeError(string message) : Exception(message)
{
    public int Line { get; set; }
}

/// <summary>The template's own <c>raise_exception(message)</c>: its message is the whole of what the caller sees.</summary>
internal sealed class TemplateRaisedError(string message) : Exception(message);

/// <summary>A render that went past what one render may take: time, memory or nesting.</summary>
internal sealed class TemplateLimitError(string message) : Exception(message);
