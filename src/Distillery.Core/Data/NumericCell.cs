using System.Globalization;

namespace Distillery.Data;

/// <summary>How a CSV cell reads as a number, in the cleaning and for new rows alike: an empty cell is 0, anything else
/// an invariant-culture float ("5" and "5.0" are one value). NaN and ±Infinity parse: callers that need a finite
/// number check it.</summary>
public static class NumericCell
{
    public static bool TryParse(string cell, out double value)
    {
        if (cell.Length == 0)
        {
            value = 0.0;
            return true;
        }
        return double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }
}
