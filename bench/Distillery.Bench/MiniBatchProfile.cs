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
        }
    }
}
