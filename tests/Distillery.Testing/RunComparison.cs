using Distillery.Experiments;
using Distillery.Models;
using Xunit;

namespace Distillery.Tests;

public static class RunComparison
{
    /// <summary>Two runs of the same settings gave the same numbers to the last bit: folds, every curve, the summary.</summary>
    public static void AssertSameCurves(RunResults expected, RunResults actual)
    {
        Assert.Equal(expected.BestTeacherFold, actual.BestTeacherFold);
        Assert.Equal(expected.Folds.Count, actual.Folds.Count);
        for (var i = 0; i < expected.Folds.Count; i++)
        {
            Assert.Equal(expected.Folds[i].TestIndices, actual.Folds[i].TestIndices);
            foreach (var kind in ModelKinds.All)
            {
                Assert.Equal(expected.Folds[i][kind].Train, actual.Folds[i][kind].Train);
                Assert.Equal(expected.Folds[i][kind].Test, actual.Folds[i][kind].Test);
                Assert.Equal(expected.Folds[i][kind].TestVsTruth, actual.Folds[i][kind].TestVsTruth);
            }
        }
        Assert.Equal(expected.Summary[ModelKind.Student], actual.Summary[ModelKind.Student]);
    }
}
