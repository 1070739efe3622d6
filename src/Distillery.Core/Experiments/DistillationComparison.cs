using Distillery.Models;

namespace Distillery.Experiments;

/// <summary>
/// Did distillation help? Per fold, the distilled student's MAE minus the FNN's (the same network trained on the truth
/// alone; same folds, same initial weights), so the pair cancels what a fold makes hard. Negative: the student is better.
/// Two paired tests, both exact and two-sided, ties (equal MAE) dropped: the sign test, and the Wilcoxon signed-rank
/// test (exact over all 2^n sign assignments up to <see cref="ExactLimit"/> non-tied folds; beyond, the normal
/// approximation, flagged by <see cref="WilcoxonApproximate"/>).
/// </summary>
public sealed record DistillationComparison(IReadOnlyList<double> Differences, MeanSem Difference, int StudentWins, int FnnWins,
    double SignTestP, double WilcoxonP, bool WilcoxonApproximate)
{
    public const int ExactLimit = 20;

    public int Folds => Differences.Count;

    /// <summary>The smallest two-sided p-value either test can give with these folds (2 / 2^n, n non-tied): with 5 folds
    /// 0.0625, so no 5-fold run can reach 0.05, and a report should say so rather than "no difference".</summary>
    public double SmallestPossibleP => StudentWins + FnnWins == 0 ? 1 : Math.Min(1, 2 * Math.Pow(0.5, StudentWins + FnnWins));

    /// <summary>The comparison over a run's folds; null when a fold lacks the student's or the FNN's MAE against the truth.</summary>
    public static DistillationComparison? Of(IEnumerable<FoldResult> folds)
    {
        var differences = new List<double>();
        foreach (var f in folds)
        {
            if (!f.Models.TryGetValue(ModelKind.Student, out var s) || !f.Models.TryGetValue(ModelKind.Fnn, out var n)
                || s.Truth is null || n.Truth is null) return null;
            differences.Add(s.Truth.Mae - n.Truth.Mae);
        }
        return differences.Count == 0 ? null : FromDifferences(differences);
    }

    public static DistillationComparison FromDifferences(IReadOnlyList<double> differences)
    {
        var wins = differences.Count(d => d < 0);
        var losses = differences.Count(d => d > 0);
        var (p, approximate) = Wilcoxon(differences);
        return new DistillationComparison(differences, new MeanSem(Statistics.Mean(differences), Statistics.Sem(differences)),
            wins, losses, SignTest(wins, losses), p, approximate);
    }

    /// <summary>Exact two-sided sign test: 2 · P(X ≤ min(a, b)) for X ~ Binomial(a + b, ½), capped at 1.</summary>
    public static double SignTest(int positive, int negative)
    {
        var n = positive + negative;
        if (n == 0) return 1;
        var k = Math.Min(positive, negative);
        // pmf(0) = 2^-n is 7.9e-31 at n = 100: no underflow in a double for any fold count we allow.
        double pmf = Math.Pow(0.5, n), tail = 0;
        for (var i = 0; i <= k; i++)
        {
            tail += pmf;
            pmf *= (double)(n - i) / (i + 1);
        }
        return Math.Min(1, 2 * tail);
    }

    /// <summary>Two-sided Wilcoxon signed-rank p-value of W+ (sum of the ranks of |d| of the positive d, midranks for tied
    /// |d|, zeros dropped): exact up to <see cref="ExactLimit"/> non-zero differences, else the normal approximation
    /// with tie and continuity corrections.</summary>
    public static (double P, bool Approximate) Wilcoxon(IReadOnlyList<double> differences)
    {
        var nonzero = differences.Where(d => d != 0).ToArray();
        var n = nonzero.Length;
        if (n == 0) return (1, false);
        var order = nonzero.Select((d, i) => (Abs: Math.Abs(d), i)).OrderBy(x => x.Abs).ToArray();
        // Doubled ranks: midranks are halves, doubled they are integers, so the exact distribution is over integers.
        var rank2 = new int[n];
        var tieTerm = 0.0;
        for (var start = 0; start < n;)
        {
            var end = start;
            while (end + 1 < n && order[end + 1].Abs == order[start].Abs) end++;
            var t = end - start + 1;
            tieTerm += (double)t * t * t - t;
            for (var j = start; j <= end; j++) rank2[order[j].i] = start + end + 2; // 2 × the midrank (1-based)
            start = end + 1;
        }
        var w2 = nonzero.Select((d, i) => d > 0 ? rank2[i] : 0).Sum();
        var total2 = rank2.Sum();

        if (n > ExactLimit)
        {
            var mean = n * (n + 1) / 4.0;
            var variance = n * (n + 1) * (2 * n + 1) / 24.0 - tieTerm / 48;
            if (variance <= 0) return (1, true);
            var distance = Math.Max(0, Math.Abs(w2 / 2.0 - mean) - 0.5);
            return (Math.Min(1, Erfc(distance / Math.Sqrt(variance) / Math.Sqrt(2))), true);
        }

        // counts[s] = how many of the 2^n sign assignments give doubled W+ = s (the enumeration, done by sums).
        var counts = new double[total2 + 1];
        counts[0] = 1;
        var reach = 0;
        foreach (var r in rank2)
        {
            for (var s = reach; s >= 0; s--)
                if (counts[s] != 0) counts[s + r] += counts[s];
            reach += r;
        }
        double all = Math.Pow(2, n), below = 0, above = 0;
        for (var s = 0; s <= total2; s++)
        {
            if (s <= w2) below += counts[s];
            if (s >= w2) above += counts[s];
        }
        return (Math.Min(1, 2 * Math.Min(below, above) / all), false);
    }

    /// <summary>Complementary error function (Numerical Recipes' Chebyshev fit, relative error below 1.2e-7).</summary>
    private static double Erfc(double x)
    {
        var z = Math.Abs(x);
        var t = 1 / (1 + 0.5 * z);
        var r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
            t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
