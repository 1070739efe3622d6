using System.Diagnostics;
using Distillery.Data;
using Distillery.Models;
using Distillery.Training;
using static TorchSharp.torch;

namespace Distillery.Bench;

/// <summary>
/// Scaling of the training loop in windows (synthetic data with US_FL's schema at 0.5×, 1×, 2× its windows): one
/// teacher and one student job of fold 1, the study's batch 1, a fixed number of passes, one torch thread, in process
/// (no host, no other job at the same time). CPU seconds are measured as well as wall: the machine is shared.
/// </summary>
public static class Scaling
{
    public sealed record Row(double Factor, int Windows, int TrainWindows, int Features, double Wall, double Cpu);

    public static List<Row> Run(Func<int, string> dataFor, int baseWindows, int passes)
    {
        set_num_threads(1);
        var rows = new List<Row>();
        foreach (var factor in new[] { 0.5, 1.0, 2.0 })
        {
            var windows = (int)Math.Round(baseWindows * factor);
            using var fx = Fixture.Load(dataFor(windows));
            var fold = fx.Fold(1);
            var process = Process.GetCurrentProcess();
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            foreach (var kind in new[] { ModelKind.Teacher, ModelKind.Student })
            {
                using var model = fx.Model(kind, 1);
                Trainer.Train(model, fold, new TrainingOptions(passes - 1, 1e-4, 1, 0));
            }
            var wall = clock.Elapsed.TotalSeconds;
            process.Refresh();
            rows.Add(new Row(factor, fx.Meta.Windows, fold.TrainWindows.Length, fx.Meta.Features.Count, wall,
                (process.TotalProcessorTime - cpu0).TotalSeconds));
        }
        return rows;
    }
}
