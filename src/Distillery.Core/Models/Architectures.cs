using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distillery.Models;

/// <summary>Sizes of the two networks. Defaults are the study's.</summary>
public sealed record ModelShape(
    int Features, int InputDays = 10, int OutputDays = 14,
    int TeacherHidden = 15, int TeacherLayers = 3, int TeacherHead = 25,
    int StudentHidden = 50, int StudentLayers = 2);

/// <summary>Teacher: LSTM(F → hidden, layers, batch_first) → every time step flattened → 25 → 25 → outputDays, sigmoid.</summary>
public sealed class LstmTeacher : nn.Module<Tensor, Tensor>
{
    private readonly LSTM lstm;
    private readonly nn.Module<Tensor, Tensor> head;

    public LstmTeacher(ModelShape shape) : base("teacher")
    {
        lstm = nn.LSTM(shape.Features, shape.TeacherHidden, shape.TeacherLayers, batchFirst: true);
        head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(shape.InputDays * shape.TeacherHidden, shape.TeacherHead), nn.ReLU(),
            nn.Linear(shape.TeacherHead, shape.TeacherHead), nn.ReLU(),
            nn.Linear(shape.TeacherHead, shape.OutputDays), nn.Sigmoid());
        RegisterComponents();
    }

    /// <param name="input">[batch, inputDays, features]</param>
    public override Tensor forward(Tensor input)
    {
        var (sequence, h, c) = lstm.call(input);
        h.Dispose();
        c.Dispose();
        return head.call(sequence);
    }
}

/// <summary>Student (and FNN): inputDays × features flattened → hidden (ReLU) × layers → outputDays, sigmoid.</summary>
public sealed class FeedForwardStudent : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> layers;

    public FeedForwardStudent(ModelShape shape) : base("student")
    {
        var modules = new List<nn.Module<Tensor, Tensor>> { nn.Flatten() };
        var width = shape.InputDays * shape.Features;
        for (var i = 0; i < shape.StudentLayers; i++)
        {
            modules.Add(nn.Linear(width, shape.StudentHidden));
            modules.Add(nn.ReLU());
            width = shape.StudentHidden;
        }
        modules.Add(nn.Linear(width, shape.OutputDays));
        modules.Add(nn.Sigmoid());
        layers = nn.Sequential(modules);
        RegisterComponents();
    }

    /// <param name="input">[batch, inputDays, features]</param>
    public override Tensor forward(Tensor input) => layers.call(input);
}

public static class ModelFactory
{
    public static nn.Module<Tensor, Tensor> Create(ModelKind kind, ModelShape shape) => kind.Architecture() switch
    {
        Architecture.Lstm => new LstmTeacher(shape),
        Architecture.FeedForward => new FeedForwardStudent(shape),
    };

    /// <summary>The parameter count of a model of this kind and shape.</summary>
    public static long ParameterCount(ModelKind kind, ModelShape shape)
    {
        using var model = Create(kind, shape);
        return ParameterCount(model);
    }

    /// <summary>True parameter count: the sum of every parameter's element count.</summary>
    public static long ParameterCount(nn.Module module) => module.parameters().Sum(p => p.numel());

    /// <summary>
    /// Re-draws every parameter with PyTorch's default initialisation from a generator owned by this job.
    /// Module constructors draw from torch's one global generator, which parallel jobs would share; this makes
    /// a model's initial weights depend on its seed only, never on what else runs at the same time.
    /// Linear: weight and bias ~ U(±1/√fan_in) (kaiming_uniform with a=√5 gives the same bound); LSTM: all ~ U(±1/√hidden).
    /// </summary>
    public static void Initialize(nn.Module module, long seed)
    {
        using var generator = new Generator((ulong)seed);
        using var noGrad = no_grad();
        foreach (var (name, child) in module.named_modules())
        {
            switch (child)
            {
                case Linear linear:
                    FillUniform(linear.weight!, 1.0 / Math.Sqrt(linear.in_features), generator);
                    if (linear.bias is not null) FillUniform(linear.bias, 1.0 / Math.Sqrt(linear.in_features), generator);
                    break;
                case LSTM lstm:
                    var hidden = (int)lstm.parameters().First().shape[0] / 4;
                    foreach (var p in lstm.parameters()) FillUniform(p, 1.0 / Math.Sqrt(hidden), generator);
                    break;
            }
        }
    }

    private static void FillUniform(Tensor parameter, double bound, Generator generator)
    {
        // Scalars held and disposed here, not left to the finalizer thread.
        using Scalar width = 2 * bound, shift = bound;
        using var draw = rand(parameter.shape, dtype: parameter.dtype, generator: generator);
        using var scaled = draw.mul(width).sub_(shift);
        parameter.copy_(scaled);
    }
}
