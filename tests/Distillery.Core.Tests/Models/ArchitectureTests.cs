using Distillery.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Distillery.Tests.Models;

public class ArchitectureTests
{
    private static readonly ModelShape UsFl = new(Features: 523);

    [Fact]
    public void True_parameter_counts_on_US_FL_shape()
    {
        using var teacher = ModelFactory.Create(ModelKind.Teacher, UsFl);
        using var student = ModelFactory.Create(ModelKind.Student, UsFl);
        Assert.Equal(41_029, ModelFactory.ParameterCount(teacher));
        Assert.Equal(264_814, ModelFactory.ParameterCount(student));
    }

    [Fact]
    public void Both_models_map_ten_days_of_features_to_fourteen_values_in_0_1()
    {
        using var scope = NewDisposeScope();
        var x = rand(3, 10, 523);
        foreach (var kind in new[] { ModelKind.Teacher, ModelKind.Student })
        {
            using var model = ModelFactory.Create(kind, UsFl);
            var y = model.call(x);
            Assert.Equal(new long[] { 3, 14 }, y.shape);
            Assert.True(y.min().item<float>() >= 0 && y.max().item<float>() <= 1);
        }
    }

    [Fact]
    public void Sizes_are_configurable()
    {
        var shape = UsFl with { StudentHidden = 8, StudentLayers = 3 };
        using var student = ModelFactory.Create(ModelKind.Student, shape);
        Assert.Equal(5230 * 8 + 8 + 2 * (8 * 8 + 8) + 8 * 14 + 14, ModelFactory.ParameterCount(student));
    }

    [Fact]
    public void Initialisation_depends_on_the_seed_only()
    {
        using var a = ModelFactory.Create(ModelKind.Teacher, UsFl);
        using var b = ModelFactory.Create(ModelKind.Teacher, UsFl);
        using var c = ModelFactory.Create(ModelKind.Teacher, UsFl);
        ModelFactory.Initialize(a, 7);
        rand(100).Dispose(); // disturb torch's global generator: must not matter
        ModelFactory.Initialize(b, 7);
        ModelFactory.Initialize(c, 8);
        var pa = a.parameters().ToList();
        var pb = b.parameters().ToList();
        var pc = c.parameters().ToList();
        Assert.All(pa.Zip(pb), p => Assert.True(p.First.eq(p.Second).all().item<bool>()));
        Assert.Contains(pa.Zip(pc), p => !p.First.eq(p.Second).all().item<bool>());
    }

    [Fact]
    public void Initialisation_bounds_follow_pytorch_defaults()
    {
        using var teacher = ModelFactory.Create(ModelKind.Teacher, UsFl);
        ModelFactory.Initialize(teacher, 1);
        foreach (var (name, p) in teacher.named_parameters())
        {
            var bound = name.StartsWith("lstm") ? 1 / Math.Sqrt(15) : 1 / Math.Sqrt(p.shape.Length == 2 ? p.shape[1] : FanIn(teacher, name));
            Assert.True(p.abs().max().item<float>() <= bound + 1e-6, $"{name} exceeds ±{bound}");
        }
    }

    private static long FanIn(nn.Module model, string biasName)
    {
        var weight = biasName[..biasName.LastIndexOf('.')] + ".weight";
        return model.named_parameters().Single(p => p.name == weight).parameter.shape[1];
    }
}
