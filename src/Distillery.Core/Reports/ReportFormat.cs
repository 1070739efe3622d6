using System.Globalization;

namespace Distillery.Reports;

/// <summary>Number formats of the report, shared by the HTML, the Markdown and the tests.</summary>
public static class ReportFormat
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    public const string Missing = "—";

    /// <summary>Four (or <paramref name="significant"/>) significant digits, never in exponent form (0.01234, 1.234, 123.4, 1234).</summary>
    public static string Number(double value, int significant = 4)
    {
        if (!double.IsFinite(value)) return Missing;
        if (value == 0) return "0";
        var magnitude = (int)Math.Floor(Math.Log10(Math.Abs(value)));
        var decimals = Math.Clamp(significant - 1 - magnitude, 0, 10);
        return Math.Round(value, decimals, MidpointRounding.AwayFromZero).ToString("F" + decimals, Inv);
    }

    public static string Signed(double value) =>
        !double.IsFinite(value) ? Missing : value > 0 ? "+" + Number(value) : value < 0 ? "−" + Number(-value) : "0";

    public static string MeanSem(double mean, double sem) =>
        !double.IsFinite(mean) ? Missing : double.IsFinite(sem) ? $"{Number(mean)} ± {Number(sem, 2)}" : Number(mean);

    /// <summary>A difference to the teacher, with the relative change: "+0.1234 (+5.6 %)".</summary>
    public static string Difference(double value, double teacher)
    {
        if (!double.IsFinite(value) || !double.IsFinite(teacher)) return Missing;
        var diff = value - teacher;
        if (teacher == 0) return Signed(diff);
        var percent = diff / Math.Abs(teacher) * 100;
        var p = Math.Abs(percent).ToString(Math.Abs(percent) >= 100 ? "F0" : "F1", Inv);
        return $"{Signed(diff)} ({(percent > 0 ? "+" : percent < 0 ? "−" : "")}{p} %)";
    }

    public static string Count(long value) => value.ToString("N0", Inv);

    public static string Microseconds(double value) => !double.IsFinite(value) ? Missing : value.ToString(value >= 100 ? "F0" : "F1", Inv) + " µs";

    public static string Seconds(double value) => !double.IsFinite(value) ? Missing : value.ToString(value >= 100 ? "F0" : "F1", Inv) + " s";
}
