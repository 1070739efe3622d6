using Distillery.Experiments;
using Distillery.Models;

namespace Distillery.Tests.Experiments;

/// <summary>The paired student − FNN tests, against cases worked by hand.</summary>
public class DistillationComparisonTests
{
    [Fact]
    public void Five_folds_one_way_give_the_smallest_p_five_folds_can()
    {
        // Sign test: 2 · (1/2)^5; Wilcoxon: only the all-positive of the 32 assignments has W+ = 15, so 2/32 too.
        var c = DistillationComparison.FromDifferences([1, 2, 3, 4, 5]);
        Assert.Equal(0.0625, c.SignTestP, 12);
        Assert.Equal(0.0625, c.WilcoxonP, 12);
        Assert.False(c.WilcoxonApproximate);
        Assert.Equal(0, c.StudentWins);
        Assert.Equal(5, c.FnnWins);
        Assert.Equal(3, c.Difference.Mean, 12);
        Assert.Equal(Math.Sqrt(2.5) / Math.Sqrt(5), c.Difference.Sem, 12);
        Assert.Equal(0.0625, c.SmallestPossibleP, 12);
    }

    [Fact]
    public void One_fold_the_other_way()
    {
        // Ranks 1..5, the negative has rank 2: W+ = 13. P(W+ ≥ 13) = P(W− ≤ 2) = #{∅, {1}, {2}} / 32 = 3/32, two-sided 6/32.
        // Sign test: 4 vs 1, 2 · (C(5,0) + C(5,1)) / 32 = 12/32.
        var c = DistillationComparison.FromDifferences([1, -2, 3, 4, 5]);
        Assert.Equal(6 / 32.0, c.WilcoxonP, 12);
        Assert.Equal(12 / 32.0, c.SignTestP, 12);
        Assert.Equal(1, c.StudentWins);
    }

    [Fact]
    public void Ties_are_dropped()
    {
        var c = DistillationComparison.FromDifferences([0, -1, -2, 0, -3, -4, -5]);
        Assert.Equal(0.0625, c.SignTestP, 12);
        Assert.Equal(0.0625, c.WilcoxonP, 12);
        Assert.Equal(5, c.StudentWins);
        Assert.Equal(7, c.Folds);
        Assert.Equal(1, DistillationComparison.FromDifferences([0, 0, 0]).WilcoxonP);
        Assert.Equal(1, DistillationComparison.FromDifferences([0, 0, 0]).SignTestP);
    }

    [Fact]
    public void Equal_magnitudes_share_their_midrank()
    {
        // |d| = 1, 1, 1, 2: midrank 2 for the three ones, 4 for the two. W+ = 2 + 2 + 4 = 8 of 10.
        // Sums of {2, 2, 2, 4} over the 16 subsets: 0,2,2,2,4,4,4,6 and, with the 4, 4,6,6,6,8,8,8,10.
        // P(W+ ≥ 8) = 4/16, two-sided 0.5.
        var c = DistillationComparison.FromDifferences([1, 1, -1, 2]);
        Assert.Equal(0.5, c.WilcoxonP, 12);
        // Sign test 3 vs 1: 2 · (1 + 4) / 16.
        Assert.Equal(10 / 16.0, c.SignTestP, 12);
    }

    [Fact]
    public void The_sign_test_is_the_binomial_tail()
    {
        Assert.Equal(2 * (1 + 10 + 45) / 1024.0, DistillationComparison.SignTest(2, 8), 12);
        Assert.Equal(1, DistillationComparison.SignTest(5, 5));
        Assert.Equal(1, DistillationComparison.SignTest(0, 100) / (2 * Math.Pow(0.5, 100)), 12);
    }

    [Fact]
    public void Beyond_twenty_folds_the_normal_approximation_is_used_and_said()
    {
        var one = DistillationComparison.FromDifferences(Enumerable.Range(1, 25).Select(i => (double)i).ToArray());
        Assert.True(one.WilcoxonApproximate);
        // z = (325 − 162.5 − 0.5) / √(25·26·51/24) = 4.359: two-sided p ≈ 1.307e-5.
        Assert.Equal(1.307e-5, one.WilcoxonP, 8);
        // Alternating signs of 1..24 plus one: W+ near its mean, p near 1.
        var even = DistillationComparison.FromDifferences(Enumerable.Range(1, 24).Select(i => i % 4 is 0 or 1 ? (double)i : -i).ToArray());
        Assert.True(even.WilcoxonApproximate);
        Assert.True(even.WilcoxonP > 0.9, $"p = {even.WilcoxonP}");
        // At twenty the exact enumeration still runs: one-way is 2 / 2^20.
        var exact = DistillationComparison.FromDifferences(Enumerable.Range(1, 20).Select(i => (double)i).ToArray());
        Assert.False(exact.WilcoxonApproximate);
        Assert.Equal(2 / Math.Pow(2, 20), exact.WilcoxonP, 15);
    }

    [Fact]
    public void A_runs_folds_pair_the_student_with_the_fnn()
    {
        static Curves With(double mae) => new([1], [1], [1], new TruthMetrics(0, mae, 0, 1, [mae]));
        var folds = new[] { (10.0, 12.0), (8.0, 7.0), (5.0, 9.0) }.Select((p, i) => new FoldResult(i + 1, [], [],
            new Dictionary<ModelKind, Curves> { [ModelKind.Teacher] = With(1), [ModelKind.Student] = With(p.Item1), [ModelKind.Fnn] = With(p.Item2) }));
        var c = DistillationComparison.Of(folds)!;
        Assert.Equal([-2.0, 1.0, -4.0], c.Differences);
        Assert.Equal(2, c.StudentWins);
        Assert.Null(DistillationComparison.Of([new FoldResult(1, [], [], new Dictionary<ModelKind, Curves> { [ModelKind.Student] = With(1) })]));
    }
}
