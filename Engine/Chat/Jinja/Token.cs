namespace OrleansLlm.Engine.Chat.Jinja;

internal enum TokenKind { Data, VariableBegin, VariableEnd, BlockBegin, BlockEnd, Name, String, Integer, Float, Operator, Eof }

/// <summary>One lexeme: template text, a tag's opening or closing, or a piece of an expression inside a tag.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, object? Value, int Line)
{
    public bool IsName(string name) => Kind == TokenKind.Name && Text == name;

    public bool IsOperator(string op) => Kind == TokenKind.Operator && Text == op;

    /// <summary>How an error message names the token, as jinja2 names it.</summary>
    public string Describe() => Kind is TokenKind.Name or TokenKind.Operator ? Text : Describe(Kind);

    public static string Describe(TokenKind kind) => kind switch
    {
        TokenKind.Eof => "end of template",
        TokenKind.BlockBegin => "begin of statement block",
        TokenKind.BlockEnd => "end of statement block",
        TokenKind.VariableBegin => "begin of print statement",
        TokenKind.VariableEnd => "end of print statement",
        TokenKind.Data => "template data / text",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
