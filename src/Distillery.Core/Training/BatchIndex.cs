using static TorchSharp.torch;

namespace Distillery.Training;

/// <summary>Index tensors for the batches: batch 1 is a narrow view of the fold's tensors (no copy, no index);
/// larger batches gather their windows from one index tensor per pass, narrowed per batch.</summary>
internal sealed class BatchIndex : IDisposable
{
    private readonly int[] windows;
    private readonly int batchSize;
    private readonly long seed;
    private Tensor? order;
    private int[] orderWindows;

    public BatchIndex(int[] windows, int batchSize, long seed)
    {
        this.windows = windows;
        this.batchSize = batchSize;
        this.seed = seed;
        Count = (windows.Length + batchSize - 1) / batchSize;
        orderWindows = windows;
    }

    public int Count { get; }

    /// <summary>Batch 1 keeps the study's fold order; larger batches are reshuffled every pass.</summary>
    public void Shuffle(int pass)
    {
        if (batchSize == 1) return;
        order?.Dispose();
        orderWindows = Trainer.ShuffledOrder(windows, seed, pass);
        order = tensor(orderWindows.Select(i => (long)i).ToArray());
    }

    /// <summary>The windows of batch <paramref name="batch"/> of this pass, in order.</summary>
    public ReadOnlySpan<int> Windows(int batch)
    {
        var start = batch * batchSize;
        return orderWindows.AsSpan(start, Math.Min(batchSize, orderWindows.Length - start));
    }

    public (Tensor X, Tensor Y, int Size) Select(int batch, Tensor inputs, Tensor targets)
    {
        if (batchSize == 1)
        {
            var w = windows[batch];
            return (inputs.narrow(0, w, 1), targets.narrow(0, w, 1), 1);
        }
        var start = batch * batchSize;
        var size = Math.Min(batchSize, windows.Length - start);
        var index = order!.narrow(0, start, size);
        return (inputs.index_select(0, index), targets.index_select(0, index), size);
    }

    public void Dispose() => order?.Dispose();
}
