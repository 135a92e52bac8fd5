using System.Globalization;
using System.Text;

namespace OrleansLlm.Engine.Chat.Jinja;

/// <summary>
/// Python's (glibc's) strftime for transformers' <c>strftime_now</c>, with which templates write today's date
/// (Llama 3.2: <c>strftime_now("%d %b %Y")</c>): the C locale's names, and glibc's <c>%-d</c> for no padding.
/// </summary>
internal static class Strftime
{
    public static string Format(DateTime t, string format)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 == format.Length)
            {
                sb.Append(format[i]);
                continue;
            }
            var pad = true;
            if (format[i + 1] == '-' && i + 2 < format.Length)
            {
                pad = false;
                i++;
            }
            var c = format[++i];
            sb.Append(c switch
            {
                'a' => t.ToString("ddd", CultureInfo.InvariantCulture),
                'A' => t.ToString("dddd", CultureInfo.InvariantCulture),
                'b' or 'h' => t.ToString("MMM", CultureInfo.InvariantCulture),
                'B' => t.ToString("MMMM", CultureInfo.InvariantCulture),
                'c' => t.ToString("ddd MMM ", CultureInfo.InvariantCulture) + t.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2) +
                       t.ToString(" HH:mm:ss yyyy", CultureInfo.InvariantCulture),
                'd' => Number(t.Day, 2, pad),
                'e' => pad ? t.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2) : Number(t.Day, 2, false),
                'D' or 'x' => t.ToString("MM/dd/yy", CultureInfo.InvariantCulture),
                'F' => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                'f' => Number((int)(t.Ticks % TimeSpan.TicksPerSecond / 10), 6, pad),
                'H' => Number(t.Hour, 2, pad),
                'I' => Number(t.Hour % 12 == 0 ? 12 : t.Hour % 12, 2, pad),
                'j' => Number(t.DayOfYear, 3, pad),
                'm' => Number(t.Month, 2, pad),
                'M' => Number(t.Minute, 2, pad),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'S' => Number(t.Second, 2, pad),
                'T' or 'X' => t.ToString("HH:mm:ss", CultureInfo.InvariantCulture),
                'R' => t.ToString("HH:mm", CultureInfo.InvariantCulture),
                'u' => ((int)t.DayOfWeek == 0 ? 7 : (int)t.DayOfWeek).ToString(CultureInfo.InvariantCulture),
                'w' => ((int)t.DayOfWeek).ToString(CultureInfo.InvariantCulture),
                'y' => Number(t.Year % 100, 2, pad),
                'Y' => t.Year.ToString(CultureInfo.InvariantCulture),
                'z' => t.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", ""),
                'Z' => TimeZoneInfo.Local.IsDaylightSavingTime(t) ? TimeZoneInfo.Local.DaylightName : TimeZoneInfo.Local.StandardName,
                'n' => "\n",
                't' => "\t",
                '%' => "%",
                _ => "%" + (pad ? "" : "-") + c,
            });
        }
        return sb.ToString();
    }

    private static string Number(int value, int width, bool pad) =>
        value.ToString(CultureInfo.InvariantCulture).PadLeft(pad ? width : 0, '0');
}
