using TorchSharp;
using static TorchSharp.torch;

namespace Distillery.Models;

/// <summary>Student (and FNN): inputDays × features flattened → hidden (ReLU) × layers → outputDays, sigmoid (none with a linear head).</summary>
public sealed class FeedForwardStudent : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> layers;

    /// <summary>The sizes it was built with (the fused training step reads them).</summary>
    public ModelShape Shape { get; }

    public FeedForwardStudent(ModelShape shape) : base("student")
    {
        Shape = shape;
        var modules = new List<nn.Module<Tensor, Tensor>> { nn.Flatten() };
        var width = shape.InputDays * shape.Features;
        for (var i = 0; i < shape.StudentLayers; i++)
        {
            modules.Add(nn.Linear(width, shape.StudentHidden));
            modules.Add(nn.ReLU());
            width = shape.StudentHidden;
        }
        modules.Add(nn.Linear(width, shape.OutputDays));
        if (!shape.LinearHead) modules.Add(nn.Sigmoid());
        layers = nn.Sequential(modules);
        RegisterComponents();
    }

    /// <param name="input">[batch, inputDays, features]</param>
    public override Tensor forward(Tensor input) => layers.call(input);
}
