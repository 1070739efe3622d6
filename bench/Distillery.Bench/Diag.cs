using Distillery.Models;
using Distillery.Training;
using static TorchSharp.torch;
namespace Distillery.Bench;
public static class Diag
{
    public static void Run(Fixture fx)
    {
        set_num_threads(1);
        var fold = fx.Fold(1);
        using (var init = fx.Model(ModelKind.Teacher, 1))
        using (var i2 = tensor(fold.TestWindows.Select(i => (long)i).ToArray()))
        using (var xx = fold.Inputs.index_select(0, i2))
        {
            init.train(); using var a = init.call(xx);
            init.eval(); using var b = init.call(xx);
            Tensor c; using (no_grad()) { init.train(); c = init.call(xx); }
            Tensor d; using (no_grad()) { init.eval(); d = init.call(xx); }
            Console.WriteLine($"init: |train-grad − eval-grad| {(a - b).abs().max().item<float>():E2}, |train-grad − train-nograd| {(a - c).abs().max().item<float>():E2}, |train-grad − eval-nograd| {(a - d).abs().max().item<float>():E2}");
            using var one = init.call(xx.narrow(0, 0, 1));
            Console.WriteLine($"init: window 0 alone vs in batch (eval no-grad? {init.training}) {(one - d.narrow(0, 0, 1)).abs().max().item<float>():E2}");
        }
        using var model = fx.Model(ModelKind.Teacher, 1);
        var curves = Trainer.Train(model, fold, new TrainingOptions(4, 1e-4, 1, 0));
        using var idx = tensor(fold.TestWindows.Select(i => (long)i).ToArray());
        using var xi = fold.Inputs.index_select(0, idx);
        using var yi = fold.Targets.index_select(0, idx);
        Console.WriteLine($"curve test last {curves.Test[^1]:F5}");
        using (var p = Trainer.Predict(model, xi)) Console.WriteLine($"eval batch-all {Trainer.SumOfWindowMse(p, yi):F5}");
        double sum = 0;
        model.eval();
        using (no_grad())
            for (var i = 0; i < fold.TestWindows.Length; i++)
                using (var p1 = model.call(xi.narrow(0, i, 1))) sum += Trainer.SumOfWindowMse(p1, yi.narrow(0, i, 1));
        Console.WriteLine($"eval one by one {sum:F5}");
        model.train();
        using (var p2 = model.call(xi)) Console.WriteLine($"train mode with grad {Trainer.SumOfWindowMse(p2, yi):F5}");
        var bytes = ModelSerializer.Save(model);
        using var fresh = ModelFactory.Create(ModelKind.Teacher, fx.Shape);
        ModelSerializer.Load(fresh, bytes);
        using (var p3 = Trainer.Predict(fresh, xi)) Console.WriteLine($"reloaded {Trainer.SumOfWindowMse(p3, yi):F5}");
    }
}
