using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distillery.Models;

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
