using System.Diagnostics;
using Distillery.Models;
using Distillery.Training;
using static TorchSharp.torch;

namespace Distillery.Bench;

/// <summary>
/// Same numbers check on the real data: fold 1 of US_FL, teacher and student, the study's batch 1, a few passes, with
/// the trainer's loop (flat buffers, fused Adam) and with the loop it replaced (TorchSharp's optim.Adam per parameter):
/// every loss and every weight must agree to the last bit (the trainer with <see cref="AdamKernel.FusedExact"/> and
/// without fused steps). The default path (fused batch-1 steps, IEEE Adam) runs too: its largest relative difference
/// from the old loop's losses is reported, and its time.
/// </summary>
public static class Verify
{
    public sealed record Row(string Model, int Passes, bool Identical, double SecondsBefore, double SecondsAfter,
        double FusedSeconds = double.NaN, double FusedMaxRelativeDifference = double.NaN);

    public static List<Row> Run(Fixture fx, int passes)
    {
        set_num_threads(1);
        var rows = new List<Row>();
        var fold = fx.Fold(1);
        foreach (var kind in new[] { ModelKind.Teacher, ModelKind.Student })
        {
            // Warm-up (JIT, native caches) of both loops, so that neither pays it in the timing.
            var few = new FoldTensors(fold.Inputs, fold.Targets, fold.Truth, fold.TrainWindows[..16], fold.TestWindows);
            using (var w1 = fx.Model(kind, 6)) Original(w1, few, new TrainingOptions(0, 1e-4, 1, 0));
            using (var w2 = fx.Model(kind, 6)) Trainer.Train(w2, few, new TrainingOptions(0, 1e-4, 1, 0));
            using var before = fx.Model(kind, 5);
            using var after = fx.Model(kind, 5);
            using var fused = fx.Model(kind, 5);
            var defaults = new TrainingOptions(passes - 1, kind == ModelKind.Teacher ? 1e-4 : 1e-5, 1, 0);
            var options = defaults with { Adam = Distillery.Training.Optim.AdamKernel.FusedExact, FusedSteps = false };
            var clock = Stopwatch.StartNew();
            var (train0, test0) = Original(before, fold, options);
            var t0 = clock.Elapsed.TotalSeconds;
            clock.Restart();
            var curves = Trainer.Train(after, fold, options);
            var t1 = clock.Elapsed.TotalSeconds;
            var identical = train0.SequenceEqual(curves.Train) && test0.SequenceEqual(curves.Test)
                            && before.parameters().Zip(after.parameters()).All(p => p.First.data<float>().ToArray().SequenceEqual(p.Second.data<float>().ToArray()));
            clock.Restart();
            var fast = Trainer.Train(fused, fold, defaults);
            var t2 = clock.Elapsed.TotalSeconds;
            var maxDiff = train0.Concat(test0).Zip(fast.Train.Concat(fast.Test)).Max(p => Math.Abs(p.Second - p.First) / Math.Abs(p.First));
            rows.Add(new Row(kind == ModelKind.Teacher ? "teacher" : "student", passes, identical, t0, t1, t2, maxDiff));
        }
        return rows;
    }

    /// <summary>The training loop before issue #8 (optim.Adam, zero_grad per step), batch 1 in fold order: the same
    /// reference the tests check the trainer against.</summary>
    private static (double[] Train, double[] Test) Original(nn.Module<Tensor, Tensor> model, FoldTensors fold, TrainingOptions options)
    {
        var curves = Distillery.Tests.Training.ReferenceTrainer.Train(model, fold, options);
        return (curves.Train, curves.Test);
    }

    public static void Print(List<Row> rows)
    {
        foreach (var r in rows)
            Console.WriteLine($"same numbers ({r.Model}, US_FL fold 1, {r.Passes} passes, batch 1): {(r.Identical ? "identical to the last bit" : "DIFFERENT")}; " +
                              $"old loop {r.SecondsBefore / r.Passes:F3} s/pass, new {r.SecondsAfter / r.Passes:F3} s/pass ({r.SecondsBefore / r.SecondsAfter:F2}×); " +
                              $"default fused path {r.FusedSeconds / r.Passes:F3} s/pass ({r.SecondsBefore / r.FusedSeconds:F2}×), losses within a relative {r.FusedMaxRelativeDifference:E1} of the old loop's");
    }
}
