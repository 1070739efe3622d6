using Distillery.Experiments;
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
            foreach (var pick in new Func<FoldResult, Curves>[] { f => f.Teacher, f => f.Student, f => f.Fnn })
            {
                Assert.Equal(pick(expected.Folds[i]).Train, pick(actual.Folds[i]).Train);
                Assert.Equal(pick(expected.Folds[i]).Test, pick(actual.Folds[i]).Test);
                Assert.Equal(pick(expected.Folds[i]).TestVsTruth, pick(actual.Folds[i]).TestVsTruth);
            }
        }
        Assert.Equal(expected.Summary["student"], actual.Summary["student"]);
    }
}
