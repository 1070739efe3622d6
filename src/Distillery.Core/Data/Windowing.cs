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

    /// <summary>Row indices of window <paramref name="window"/>: its input rows and its target rows.</summary>
    public static (int[] InputRows, int[] TargetRows) Rows(int window, int inputDays, int outputDays)
    {
        CheckDays(inputDays, outputDays);
        ArgumentOutOfRangeException.ThrowIfNegative(window);
        var input = new int[inputDays];
        for (var i = 0; i < inputDays; i++) input[i] = window + i;
        var target = new int[outputDays];
        for (var i = 0; i < outputDays; i++) target[i] = window + inputDays + i;
        return (input, target);
    }

    /// <summary>Input of window <paramref name="window"/>: inputDays rows × all features (scaled). Copies.</summary>
    public static double[][] Inputs(CleanDataset data, int window, int inputDays, int outputDays)
    {
        CheckWindow(data, window, inputDays, outputDays);
        var x = new double[inputDays][];
        for (var i = 0; i < inputDays; i++) x[i] = (double[])data.Scaled[window + i].Clone();
        return x;
    }

    /// <summary>Targets of window <paramref name="window"/>: the scaled target at its outputDays target rows.</summary>
    public static double[] Targets(CleanDataset data, int window, int inputDays, int outputDays)
    {
        CheckWindow(data, window, inputDays, outputDays);
        var y = new double[outputDays];
        for (var i = 0; i < outputDays; i++) y[i] = data.Scaled[window + inputDays + i][data.TargetIndex];
        return y;
    }

    private static void CheckWindow(CleanDataset data, int window, int inputDays, int outputDays)
    {
        ArgumentNullException.ThrowIfNull(data);
        var count = Count(data.Rows, inputDays, outputDays);
        if (window < 0 || window >= count)
            throw new ArgumentOutOfRangeException(nameof(window), window, $"window must be in [0, {count})");
    }

    private static void CheckDays(int inputDays, int outputDays)
    {
        if (inputDays <= 0) throw new InvalidInputException($"input days must be at least 1, got {inputDays}");
        if (outputDays <= 0) throw new InvalidInputException($"output days must be at least 1, got {outputDays}");
    }
}
