using System.Diagnostics;
using Distillery.Models;
using Distillery.Training;
using Distillery.Training.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace Distillery.Bench;

/// <summary>Where the time of one batch-1 pass goes, per phase of a step, for each model (one torch thread).</summary>
public static class Profile
{
    public sealed record Row(string Model, int Steps, double PassSeconds, double TrainerPassSeconds,
        IReadOnlyDictionary<string, double> MicrosPerStep);

    public static List<Row> Run(Fixture fx, int passes, string models = "teacher,student")
    {
        set_num_threads(1);
        var rows = new List<Row>();
        foreach (var kind in models.Split(',').Select(m => m.Trim() == "teacher" ? ModelKind.Teacher : ModelKind.Student))
        {
            var fold = fx.Fold(1);
            var phases = new Dictionary<string, double>
            {
                ["select"] = 0, ["zero_grad"] = 0, ["forward+loss"] = 0, ["backward"] = 0, ["optimizer.step"] = 0, ["item"] = 0,
            };
            var steps = fold.TrainWindows.Length;
            double manual = double.MaxValue, trainer = double.MaxValue;
            for (var rep = 0; rep < passes; rep++)
            {
                using var model = fx.Model(kind, 1);
                using var optimizer = FlatAdam.Create(model.parameters(), 1e-4);
                model.train();
                var sw = new Stopwatch();
                var total = Stopwatch.StartNew();
                var local = new double[6];
                foreach (var w in fold.TrainWindows)
                {
                    using var scope = NewDisposeScope();
                    sw.Restart();
                    var x = fold.Inputs.narrow(0, w, 1);
                    var y = fold.Targets.narrow(0, w, 1);
                    local[0] += sw.Elapsed.TotalMicroseconds; sw.Restart();
                    optimizer.ZeroGrad();
                    local[1] += sw.Elapsed.TotalMicroseconds; sw.Restart();
                    var loss = nn.functional.mse_loss(model.call(x), y);
                    local[2] += sw.Elapsed.TotalMicroseconds; sw.Restart();
                    loss.backward();
                    local[3] += sw.Elapsed.TotalMicroseconds; sw.Restart();
                    optimizer.Step();
                    local[4] += sw.Elapsed.TotalMicroseconds; sw.Restart();
                    _ = loss.item<float>();
                    local[5] += sw.Elapsed.TotalMicroseconds;
                }
                var t = total.Elapsed.TotalSeconds;
                if (t < manual)
                {
                    manual = t;
                    var keys = phases.Keys.ToArray();
                    for (var i = 0; i < keys.Length; i++) phases[keys[i]] = local[i] / steps;
                }
                using var model2 = fx.Model(kind, 1);
                var clock = Stopwatch.StartNew();
                Trainer.Train(model2, fold, new TrainingOptions(0, 1e-4, 1, 0));
                trainer = Math.Min(trainer, clock.Elapsed.TotalSeconds);
            }
            rows.Add(new Row(kind == ModelKind.Teacher ? "teacher" : "student/fnn", steps, manual, trainer, phases));
        }
        return rows;
    }

    public static void Print(List<Row> rows)
    {
        foreach (var r in rows)
        {
            Console.WriteLine($"{r.Model}: {r.Steps} steps, instrumented pass {r.PassSeconds * 1000:F0} ms, Trainer pass (incl. test) {r.TrainerPassSeconds * 1000:F0} ms " +
                              $"= {r.TrainerPassSeconds / r.Steps * 1e6:F0} µs/step");
            foreach (var (k, v) in r.MicrosPerStep) Console.WriteLine($"    {k,-16} {v,8:F1} µs/step");
        }
    }
}
