using System.Diagnostics;
using Distillery.Models;
using Distillery.Training;
using Distillery.Training.Optim;
using static TorchSharp.torch;

namespace Distillery.Bench;

/// <summary>Where the time of one mini-batch pass goes (the fast preset's batch 32), per phase of a step, for each
/// model on one torch thread: the gather, forward and loss, backward, the Adam step; and the pass's test scoring.</summary>
public static class MiniBatchProfile
{
    public static void Run(Fixture fx, int passes, int batchSize)
    {
        set_num_threads(1);
        foreach (var kind in new[] { ModelKind.Teacher, ModelKind.Fnn })
        {
            var fold = fx.Fold(1);
            using var model = fx.Model(kind, 1);
            using var optimizer = FlatAdam.Create(model.parameters(), 1e-3);
            var phases = new double[5];
            var steps = 0;
            var total = Stopwatch.StartNew();
            using var testIndex = tensor(fold.TestWindows.Select(i => (long)i).ToArray());
            using var testInputs = fold.Inputs.index_select(0, testIndex);
            for (var pass = 0; pass < passes; pass++)
            {
                var order = Trainer.ShuffledOrder(fold.TrainWindows, 0, pass);
                model.train();
                for (var start = 0; start < order.Length; start += batchSize)
                {
                    using var scope = NewDisposeScope();
                    var sw = Stopwatch.StartNew();
                    using var index = tensor(order.Skip(start).Take(batchSize).Select(i => (long)i).ToArray());
                    var x = fold.Inputs.index_select(0, index);
                    var y = fold.Targets.index_select(0, index);
                    phases[0] += sw.Elapsed.TotalMicroseconds; sw.Restart();
                    optimizer.ZeroGrad();
                    var loss = nn.functional.mse_loss(model.call(x), y);
                    phases[1] += sw.Elapsed.TotalMicroseconds; sw.Restart();
                    loss.backward();
                    phases[2] += sw.Elapsed.TotalMicroseconds; sw.Restart();
                    optimizer.Step();
                    _ = loss.item<float>();
                    phases[3] += sw.Elapsed.TotalMicroseconds;
                    steps++;
                }
                var t = Stopwatch.StartNew();
                model.eval();
                using (no_grad())
                using (NewDisposeScope()) _ = model.call(testInputs).sum().item<float>();
                phases[4] += t.Elapsed.TotalMicroseconds;
            }
            var seconds = total.Elapsed.TotalSeconds;
            Console.WriteLine($"{kind,-8} batch {batchSize}: {seconds / passes * 1000:F1} ms/pass, {steps / passes} steps; per step µs: gather {phases[0] / steps:F0}, " +
                              $"forward+loss {phases[1] / steps:F0}, backward {phases[2] / steps:F0}, adam {phases[3] / steps:F0}; test scoring {phases[4] / passes:F0} µs/pass");
            if (kind == ModelKind.Teacher)
            {
                using var m = fx.Model(kind, 1);
                using var opt = FlatAdam.Create(m.parameters(), 1e-3);
                using var step = Distillery.Training.Kernels.FusedSteps.For(m)!;
                using var batchStep = Distillery.Training.Kernels.FusedSteps.ForBatches(m)!;
                var xs = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(fold.Inputs.bytes);
                var ys = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(fold.Targets.bytes);
                var width = (int)(fold.Inputs.shape[1] * fold.Inputs.shape[2]);
                var wins = fold.TrainWindows.Take(batchSize).ToArray();
                for (var rep = 0; rep < 3; rep++)
                {
                    var c1 = Stopwatch.StartNew();
                    for (var k = 0; k < 20; k++) foreach (var w in wins) { opt.ZeroGrad(); step.Step(xs.Slice(w * width, width), ys.Slice(w * 14, 14)); }
                    var oneByOne = c1.Elapsed.TotalMicroseconds / 20;
                    var c2 = Stopwatch.StartNew();
                    for (var k = 0; k < 20; k++) { opt.ZeroGrad(); batchStep.StepBatch(xs, ys, wins); }
                    Console.WriteLine($"  {batchSize} windows: batch-1 steps {oneByOne:F0} µs, one batch step {c2.Elapsed.TotalMicroseconds / 20:F0} µs");
                }
            }
            if (kind == ModelKind.Teacher)
            {
                // The two first-layer GEMMs of a batch step alone.
                using var a = rand(batchSize * 10, 523);
                using var w = rand(60, 523);
                using var g = rand(batchSize * 10, 60);
                using var wt = w.t();
                using var gt = g.t();
                for (var rep = 0; rep < 3; rep++)
                {
                    var c = Stopwatch.StartNew();
                    for (var k = 0; k < 50; k++) { g.addmm_(a, wt, beta: 0); w.addmm_(gt, a); }
                    Console.WriteLine($"  the two GEMMs: {c.Elapsed.TotalMicroseconds / 50:F0} µs");
                }
            }
            // The trainer itself, each kernel choice (the first pass includes its warm-up).
            foreach (var kernels in new[] { TrainingKernels.Libtorch, TrainingKernels.Fused })
            {
                using var trained = fx.Model(kind, 1);
                var clock = Stopwatch.StartNew();
                var curves = Trainer.Train(trained, fold, kernels.Apply(new TrainingOptions(passes - 1, 1e-3, batchSize, 0)));
                Console.WriteLine($"{kind,-8} Trainer.Train, {kernels} kernels: {clock.Elapsed.TotalMilliseconds / passes:F1} ms/pass; train losses {string.Join(" ", curves.Train.Select(v => v.ToString("F6")))}");
            }
        }
    }
}
