using Distillery.Models;
using static TorchSharp.torch;

namespace Distillery.Tests.Models;

/// <summary>libtorch runs a network without gradients (evaluation, distillation targets, reports, serving) on another
/// path than with them (training): both must compute the same function.</summary>
public class InferencePathTests
{
    [Theory]
    [InlineData(ModelKind.Teacher)]
    [InlineData(ModelKind.Student)]
    public void A_network_computes_the_same_outputs_with_and_without_gradients(ModelKind kind)
    {
        // The study's shapes. On AVX-512 processors oneDNN's LSTM (the no-gradient path) was off by ~2e-3 before
        // ONEDNN_MAX_CPU_ISA=AVX2 (NumericalReproducibility).
        using var model = ModelFactory.Create(kind, new ModelShape(523, 10, 14));
        ModelFactory.Initialize(model, 0);
        using var generator = new Generator(1);
        using var x = rand([76, 10, 523], generator: generator);
        model.eval();
        using var withGradients = model.call(x);
        using var noGrad = no_grad();
        using var without = model.call(x);
        var difference = (withGradients - without).abs().max().item<float>();
        Assert.True(difference < 1e-5, $"max |with − without gradients| = {difference:E2}");
    }
}
