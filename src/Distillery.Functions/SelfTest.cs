using Distillery.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Distillery.Functions;

/// <summary>
/// <c>dotnet Distillery.Functions.dll --self-test</c>: proves a build or publish folder can load TorchSharp and its
/// natives (including the patched <c>libLibTorchSharp.so</c>) by running both real models forward once, without
/// starting the Functions host. Used by <c>.ci/publish-check.sh</c>.
/// </summary>
public static class SelfTest
{
    private const int Features = 523, InputDays = 10, OutputDays = 14;

    public static int Run(TextWriter output)
    {
        try
        {
            var shape = new ModelShape(Features: Features);
            using var teacher = ModelFactory.Create(ModelKind.Teacher, shape);
            using var student = ModelFactory.Create(ModelKind.Student, shape);
            teacher.eval();
            student.eval();
            using var noGrad = no_grad();
            using var input = rand(1, InputDays, Features);
            Check(ModelKind.Teacher.Name(), teacher, input);
            Check(ModelKind.Student.Name(), student, input);
            output.WriteLine(
                $"self-test ok: torch {torch.__version__}, teacher {ModelFactory.ParameterCount(teacher)} params, " +
                $"student {ModelFactory.ParameterCount(student)} params, outputs [1,{OutputDays}]");
            return 0;
        }
        catch (Exception e)
        {
            // TypeInitializationException etc. hide the native loader's message one level down.
            var inner = e.InnerException is null ? "" : $" ({e.InnerException.Message})";
            output.WriteLine($"self-test failed: {e.Message}{inner}");
            return 1;
        }
    }

    private static void Check(string name, nn.Module<Tensor, Tensor> model, Tensor input)
    {
        using var result = model.call(input);
        var dims = result.shape;
        if (dims.Length != 2 || dims[0] != 1 || dims[1] != OutputDays)
            throw new InvalidOperationException($"{name} output shape is [{string.Join(",", dims)}], expected [1,{OutputDays}]");
        using var min = result.min();
        using var max = result.max();
        double lo = min.item<float>(), hi = max.item<float>();
        if (!(lo >= 0 && hi <= 1))
            throw new InvalidOperationException($"{name} outputs span [{lo}, {hi}], expected values in [0, 1]");
    }
}
