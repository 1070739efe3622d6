using TorchSharp;
using TorchSharp.PyBridge;

namespace Distillery.Models;

/// <summary>A model's weights as bytes: TorchSharp's own format (what the steps store and load) and safetensors
/// (for other tools).</summary>
public static class ModelSerializer
{
    public static byte[] Save(torch.nn.Module model)
    {
        using var stream = new MemoryStream();
        model.save(stream);
        return stream.ToArray();
    }

    public static void Load(torch.nn.Module model, byte[] weights)
    {
        using var stream = new MemoryStream(weights);
        model.load(stream);
    }

    /// <summary>PyBridge writes safetensors only to a file, so through a temporary one.</summary>
    public static byte[] SaveSafetensors(torch.nn.Module model)
    {
        var temp = Path.Combine(Path.GetTempPath(), $"distillery-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.save_safetensors(temp);
            return File.ReadAllBytes(temp);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
