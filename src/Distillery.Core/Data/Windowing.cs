namespace Distillery.Data;

/// <summary>The study's sliding windows over the date-sorted rows: window w uses rows w .. w+in−1 as input and the
/// target at rows w+in .. w+in+out−1 as output. The study iterated <c>range(len − in − out)</c>, so there are
/// rows − in − out windows and the very last row is never used as a target (381 windows for 405 rows, 10 in, 14 out).</summary>
public static class Windowing
{
    /// <summary>Number of windows: rows − inputDays − outputDays. Throws <see cref="InvalidInputException"/> when days are
    /// not positive or when fewer than inputDays + outputDays + 1 rows are given.</summary>
    public static int Count(int rows, int inputDays, int outputDays)
    {
        CheckDays(inputDays, outputDays);
        var need = (long)inputDays + outputDays + 1;
        if (rows < need)
            throw new InvalidInputException(
                $"windowing needs at least {need} rows for {inputDays} input + {outputDays} output days, got {rows}");
        return rows - inputDays - outputDays;
    }

    private static void CheckDays(int inputDays, int outputDays)
    {
        if (inputDays <= 0) throw new InvalidInputException($"input days must be at least 1, got {inputDays}");
        if (outputDays <= 0) throw new InvalidInputException($"output days must be at least 1, got {outputDays}");
    }
}
