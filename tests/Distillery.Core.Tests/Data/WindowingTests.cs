using Distillery.Data;
using Distillery.Experiments;

namespace Distillery.Tests.Data;

public class WindowingTests
{
    [Fact]
    public void UsFlHas381WindowsAndTheStudysTargets()
    {
        var d = StudyCleaningTests.UsFl;
        var seed = StudyCleaningTests.Seed;
        var count = Windowing.Count(d.Rows, 10, 14);
        Assert.Equal(381, count);
        Assert.Equal(seed.GetProperty("windows").GetInt32(), count);
        var meta = DatasetArtifact.From(d, 10, 14, []);
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var windows = new WindowTensors(meta, d.Scaled.SelectMany(r => r).ToArray(), WindowNormalization.None);
        var first = seed.GetProperty("target_window0").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var last = seed.GetProperty("target_window_last").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var y0 = windows.Targets[0].data<float>().ToArray();
        var yl = windows.Targets[count - 1].data<float>().ToArray();
        for (var i = 0; i < 14; i++)
        {
            Assert.Equal(first[i], y0[i], 1e-6); // float32 tensors
            Assert.Equal(last[i], yl[i], 1e-6);
        }
        // Window w's input is rows w … w + 9: the last window's starts at row 380.
        Assert.Equal(d.Scaled[9].Select(x => (float)x), windows.Inputs[0][9].data<float>().ToArray());
        Assert.Equal(d.Scaled[380].Select(x => (float)x), windows.Inputs[count - 1][0].data<float>().ToArray());
    }

    [Fact]
    public void TooFewRows()
    {
        Assert.Equal(1, Windowing.Count(25, 10, 14));
        Assert.Equal("windowing needs at least 25 rows for 10 input + 14 output days, got 24",
            TestCsv.ErrorOf(() => Windowing.Count(24, 10, 14)));
    }

    [Theory]
    [InlineData(0, 14, "input days must be at least 1, got 0")]
    [InlineData(10, -1, "output days must be at least 1, got -1")]
    public void NonPositiveDays(int inputDays, int outputDays, string message)
    {
        Assert.Equal(message, TestCsv.ErrorOf(() => Windowing.Count(405, inputDays, outputDays)));
    }
}
