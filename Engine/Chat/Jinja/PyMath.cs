using System.Globalization;
using System.Numerics;

namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>Python's int(text, base), float(text) and round(x, n), which the int, float and round filters use.</summary>
internal static class PyMath
{
    /// <summary>int(text, base): blanks around, a sign, underscores between digits, a 0x/0o/0b prefix of its base.</summary>
    public static long? ParseInt(string text, int radix)
    {
        var s = StringMethods.Strip(text, null, true, true);
        var negative = s.StartsWith('-');
        if (s.StartsWith('-') || s.StartsWith('+')) s = s[1..];
        if (s.Length > 2 && s[0] == '0' && char.ToLowerInvariant(s[1]) is var p && (p, radix) is ('x', 16) or ('o', 8) or ('b', 2))
            s = s[2..].TrimStart('_');
        if (s.Length == 0 || s.StartsWith('_') || s.EndsWith('_') || s.Contains("__")) return null;
        long value = 0;
        try
        {
            foreach (var c in s)
            {
                if (c == '_') continue;
                var digit = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetter(c) ? char.ToLowerInvariant(c) - 'a' + 10 : 99;
                if (digit >= radix) return null;
                value = checked(value * radix + digit);
            }
        }
        catch (OverflowException)
        {
            return null;
        }
        return negative ? -value : value;
    }

    /// <summary>float(text): decimal or exponent notation, inf, nan, with blanks around and underscores between digits.</summary>
    public static double? ParseFloat(string text)
    {
        var s = StringMethods.Strip(text, null, true, true).Replace("_", "");
        var body = s.TrimStart('+', '-').ToLowerInvariant();
        var sign = s.StartsWith('-') ? -1 : 1;
        if (body is "inf" or "infinity") return sign * double.PositiveInfinity;
        if (body == "nan") return double.NaN;
        if (body.Length == 0 || !char.IsAsciiDigit(body[0]) && body[0] != '.') return null;
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;
    }

    /// <summary>
    /// round(x, n) as Python does it: half to even on the exact binary value of x (so 2.675 rounds to 2.67), then
    /// the nearest float to the rounded decimal.
    /// </summary>
    public static double Round(double x, int digits)
    {
        if (double.IsNaN(x) || double.IsInfinity(x) || x == 0 || digits > 350) return x;
        if (digits < -350) return 0 * x;
        var bits = BitConverter.DoubleToInt64Bits(x);
        var exponent = (int)((bits >> 52) & 0x7FF);
        var mantissa = bits & 0xFFFFFFFFFFFFFL;
        if (exponent == 0) exponent++;
        else mantissa |= 1L << 52;
        exponent -= 1075;
        var numerator = new BigInteger(mantissa) * BigInteger.Pow(2, Math.Max(exponent, 0)) * BigInteger.Pow(10, Math.Max(digits, 0));
        var denominator = BigInteger.Pow(2, Math.Max(-exponent, 0)) * BigInteger.Pow(10, Math.Max(-digits, 0));
        var quotient = BigInteger.DivRem(numerator, denominator, out var remainder);
        var twice = remainder * 2;
        if (twice > denominator || twice == denominator && !quotient.IsEven) quotient++;
        var rounded = double.Parse($"{quotient}e{-digits}", CultureInfo.InvariantCulture);
        return x < 0 ? -rounded : rounded;
    }
}
