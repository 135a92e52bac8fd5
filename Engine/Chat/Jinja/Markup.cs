namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// markupsafe's Markup, what <c>|safe</c> and <c>|escape</c> give: a string that is already HTML. Output is not
/// escaped (transformers renders without autoescape), but <c>+</c>, <c>*</c> and <c>%</c> with a plain string
/// escape the plain one, which some templates (functionary's) rely on. Other operations see its text.
/// </summary>
internal sealed record Markup(string Text)
{
    public static string Escape(string s) =>
        s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&#34;").Replace("'", "&#39;");

    /// <summary>markupsafe.escape: a Markup stays as it is, anything else is written and escaped.</summary>
    public static Markup From(object? value) => value as Markup ?? new Markup(Escape(PyText.Str(value)));

    /// <summary>The text of a str or Markup, which Python treats alike; null for other values.</summary>
    public static string? TextOf(object? value) => value as string ?? (value as Markup)?.Text;
}
