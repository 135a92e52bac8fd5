using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace OrleansLlm.Silo.Http;

/// <summary>
/// A request's JSON body as <typeparamref name="T"/>, or the client's mistake as a 4xx: over the size limit (413, before
/// a byte is buffered when Content-Length says so), too slow (Kestrel's 408), not UTF-8 or holding a lone surrogate
/// escape, not JSON, or a field of the wrong kind (400 naming the field). The body is held in one array of its own size,
/// not in pooled buffers, so nothing of a large body stays behind once the request is done.
/// </summary>
internal static class RequestBody
{
    public static async Task<T> ReadAsync<T>(HttpContext http) where T : class
    {
        var bytes = await ReadBytesAsync(http);
        if (JsonText.Problem(bytes) is { } problem) throw ApiError.BadRequest(problem);
        CheckSyntax(bytes);
        try
        {
            return JsonSerializer.Deserialize<T>(bytes, OpenAiJson.RequestOptions) ?? throw ApiError.BadRequest("the body must be a JSON object");
        }
        catch (JsonException e)
        {
            throw JsonFieldError.From(e, typeof(T));
        }
    }

    private static async Task<byte[]> ReadBytesAsync(HttpContext http)
    {
        var limit = http.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? long.MaxValue;
        try
        {
            if (http.Request.ContentLength is { } length)
            {
                if (length > limit) throw ApiError.TooLarge(limit);
                var bytes = new byte[length];
                await http.Request.Body.ReadExactlyAsync(bytes, http.RequestAborted);
                return bytes;
            }
            // Chunked: Kestrel stops the body at the limit.
            using var copy = new MemoryStream();
            await http.Request.Body.CopyToAsync(copy, http.RequestAborted);
            return copy.ToArray();
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw ApiError.TooLarge(limit);
        }
    }

    /// <summary>A reader over the whole text first, so that what the serializer reports after it is a field's kind.</summary>
    private static void CheckSyntax(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            while (reader.Read()) { }
        }
        catch (JsonException e)
        {
            throw ApiError.BadRequest($"the body is not valid JSON: {e.Message.Split('\n', 2)[0].Trim()}");
        }
    }
}
