using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distillery.Models;

/// <summary>Teacher: LSTM(F → hidden, layers, batch_first) → every time step flattened → 25 → 25 → outputDays, sigmoid (none with a linear head).</summary>
public sealed class LstmTeacher : nn.Module<Tensor, Tensor>
{
    private readonly LSTM lstm;
    private readonly nn.Module<Tensor, Tensor> head;

    /// <summary>The sizes it was built with (the fused training step reads them).</summary>
    public ModelShape Shape { get; }

    public LstmTeacher(ModelShape shape) : base("teacher")
    {
        Shape = shape;
        lstm = nn.LSTM(shape.Features, shape.TeacherHidden, shape.TeacherLayers, batchFirst: true);
        var layers = new List<nn.Module<Tensor, Tensor>>
        {
            nn.Flatten(),
            nn.Linear(shape.InputDays * shape.TeacherHidden, shape.TeacherHead), nn.ReLU(),
            nn.Linear(shape.TeacherHead, shape.TeacherHead), nn.ReLU(),
            nn.Linear(shape.TeacherHead, shape.OutputDays),
        };
        if (!shape.LinearHead) layers.Add(nn.Sigmoid());
        head = nn.Sequential(layers);
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
