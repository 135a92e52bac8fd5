using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace OrleansLlm.Silo.Http;

/// <summary>
/// The keys the API accepts. A request's <c>Authorization: Bearer KEY</c> (the scheme in any case, RFC 7235) is compared
/// with every key in constant time, through SHA-256 so that neither a key's length nor which key matched shows in the
/// time taken. The caller a request counts against is its key's number, or its address where no keys are set.
/// </summary>
internal sealed class ApiKeys(IReadOnlyList<string> keys)
{
    private readonly byte[][] _hashes = keys.Select(Hash).ToArray();

    public bool Required => _hashes.Length > 0;

    /// <summary>The number of the key this Authorization header carries, or null.</summary>
    public int? Match(string? authorization)
    {
        if (Token(authorization) is not { } token) return null;
        var given = Hash(token);
        int? match = null;
        for (var i = 0; i < _hashes.Length; i++)
            if (CryptographicOperations.FixedTimeEquals(given, _hashes[i])) match ??= i;
        return match;
    }

    /// <summary>
    /// Lets a request in when it carries a key (or none is set) and notes whom it counts against; /health and /ready are
    /// always open, /metrics when <paramref name="guardMetrics"/> is off.
    /// </summary>
    public Func<HttpContext, RequestDelegate, Task> Middleware(bool guardMetrics) => (http, next) =>
    {
        var path = http.Request.Path;
        var guarded = path.StartsWithSegments("/v1") || (guardMetrics && path.StartsWithSegments("/metrics"));
        if (!Required || !guarded)
        {
            http.Items[CallerItem] = $"address {http.Connection.RemoteIpAddress}";
            return next(http);
        }
        if (Match(http.Request.Headers.Authorization) is not { } key) return ApiError.Unauthorized().WriteAsync(http);
        http.Items[CallerItem] = $"key {key}";
        return next(http);
    };

    /// <summary>Whom a request counts against: "key N" or "address A".</summary>
    public static string Caller(HttpContext http) => http.Items[CallerItem] as string ?? $"address {http.Connection.RemoteIpAddress}";

    /// <summary>The keys of <c>--api-key</c> and of <c>--api-key-file</c> (one a line; blank lines and # comments skipped).</summary>
    public static IReadOnlyList<string> Read(string? key, string? file)
    {
        var keys = new List<string>();
        if (key is not null) keys.Add(Checked(key.Trim(), "--api-key"));
        if (file is null) return keys;
        if (!File.Exists(file)) throw new ArgumentException($"--api-key-file {file}: no such file");
        var lines = File.ReadLines(file).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        if (lines.Count == 0) throw new ArgumentException($"--api-key-file {file} holds no key (one a line; # starts a comment)");
        keys.AddRange(lines.Select(l => Checked(l, $"--api-key-file {file}")));
        return keys;
    }

    private const string CallerItem = "olm.caller";

    private static string Checked(string key, string source) =>
        key.Length == 0 ? throw new ArgumentException($"{source}: the API key is empty")
        : key.Any(char.IsWhiteSpace) ? throw new ArgumentException($"{source}: an API key must not hold spaces")
        : key;

    /// <summary>The credentials of a Bearer header, the scheme matched in any case; null for another scheme or none.</summary>
    private static string? Token(string? authorization)
    {
        var value = authorization.AsSpan().Trim();
        var space = value.IndexOf(' ');
        if (space <= 0 || !value[..space].Equals("Bearer", StringComparison.OrdinalIgnoreCase)) return null;
        var token = value[(space + 1)..].Trim();
        return token.Length == 0 ? null : token.ToString();
    }

    private static byte[] Hash(string text) => SHA256.HashData(Encoding.UTF8.GetBytes(text));
}
