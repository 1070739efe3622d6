using System.Text.Json;
using Distillery.Data;

namespace Distillery.Tests.Data;

public class KFoldTests
{
    public static TheoryData<int, int, int, int[][]> Cases()
    {
        var data = new TheoryData<int, int, int, int[][]>();
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("sklearn_kfold.json")));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
            data.Add(c.GetProperty("n").GetInt32(), c.GetProperty("k").GetInt32(), c.GetProperty("random_state").GetInt32(),
                c.GetProperty("test_folds").EnumerateArray().Select(f => f.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray());
        return data;
    }

    [Fact]
    public void FixtureHasCases() => Assert.True(Cases().Count >= 6);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesSklearn(int n, int k, int randomState, int[][] expected)
    {
        var folds = KFold.TestFolds(n, k, randomState);
        Assert.Equal(expected.Length, folds.Length);
        for (var f = 0; f < k; f++)
        {
            Assert.Equal(expected[f], folds[f]);
            var train = KFold.TrainIndices(n, folds[f]);
            Assert.Equal(Enumerable.Range(0, n).Except(folds[f]), train);
        }
    }

    [Theory]
    [InlineData(381, 1)]
    [InlineData(381, 382)]
    [InlineData(10, 0)]
    public void BadFoldCount(int n, int k) =>
        Assert.Equal($"folds must be between 2 and the number of windows ({n}), got {k}", TestCsv.ErrorOf(() => KFold.TestFolds(n, k, 22)));

    [Fact]
    public void MersenneTwisterReferenceOutput()
    {
        // init_genrand(5489) first output, the reference value of the MT19937 paper's code.
        Assert.Equal(3499211612u, new NumpyRandomState(5489).NextUInt32());
    }
}
