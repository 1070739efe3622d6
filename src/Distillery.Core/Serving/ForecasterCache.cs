using Distillery.Models;
using Distillery.Storage;

namespace Distillery.Serving;

/// <summary>
/// Loaded models, once per (run, kind): a new champion is a new run id, so a stale model is never served. At most
/// <see cref="Capacity"/> are kept; the least recently used is evicted and its native TorchSharp module disposed as
/// soon as no request still holds it (a request's <see cref="Lease"/> keeps its forecaster alive until returned).
/// Safe to use from many threads.
/// </summary>
public sealed class ForecasterCache : IDisposable
{
    public const int DefaultCapacity = 8;

    internal sealed class Entry((string RunId, ModelKind Kind) key, Lazy<Task<Forecaster>> load)
    {
        public (string RunId, ModelKind Kind) Key { get; } = key;
        public Lazy<Task<Forecaster>> Load { get; } = load;
        public LinkedListNode<Entry>? Node;
        public int Users;
        public bool Evicted;
    }

    private readonly IArtifactStore store;
    private readonly Dictionary<(string RunId, ModelKind Kind), Entry> entries = [];
    private readonly LinkedList<Entry> recency = new(); // most recently used first
    private readonly Lock gate = new();
    private bool disposed;

    public ForecasterCache(IArtifactStore store, int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        this.store = store ?? throw new ArgumentNullException(nameof(store));
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>Models held by the cache now (never more than <see cref="Capacity"/>).</summary>
    public int Count { get { lock (gate) return entries.Count; } }

    /// <summary>A loaded forecaster, held until the lease is disposed.</summary>
    public sealed class Lease : IDisposable
    {
        private ForecasterCache? cache;
        private readonly Entry entry;

        internal Lease(ForecasterCache cache, Entry entry, Forecaster forecaster)
        {
            this.cache = cache;
            this.entry = entry;
            Forecaster = forecaster;
        }

        public Forecaster Forecaster { get; }

        public void Dispose() => Interlocked.Exchange(ref cache, null)?.Return(entry);
    }

    public async Task<Lease> RentAsync(string runId, ModelKind kind, CancellationToken ct)
    {
        var key = (runId, kind);
        Entry entry;
        List<Entry> evicted;
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (entries.TryGetValue(key, out var found))
            {
                entry = found;
                recency.Remove(entry.Node!);
                recency.AddFirst(entry.Node!);
            }
            else
            {
                // Loaded without the request's token: other requests may wait for the same model.
                entry = new Entry(key, new Lazy<Task<Forecaster>>(() => Forecaster.LoadAsync(store, runId, kind, CancellationToken.None)));
                entries[key] = entry;
                entry.Node = recency.AddFirst(entry);
            }
            entry.Users++;
            evicted = EvictOverCapacity();
        }
        foreach (var e in evicted) DisposeWhenLoaded(e);
        try
        {
            return new Lease(this, entry, await entry.Load.Value.WaitAsync(ct));
        }
        catch
        {
            if (entry.Load.Value.IsFaulted || entry.Load.Value.IsCanceled)
                lock (gate)
                    if (entries.TryGetValue(key, out var current) && current == entry) Remove(entry); // the next request loads again
            Return(entry);
            throw;
        }
    }

    private List<Entry> EvictOverCapacity()
    {
        var released = new List<Entry>();
        while (entries.Count > Capacity)
        {
            var oldest = recency.Last!.Value;
            Remove(oldest);
            if (oldest.Users == 0) released.Add(oldest); // else disposed when its last lease is returned
        }
        return released;
    }

    private void Remove(Entry entry)
    {
        entries.Remove(entry.Key);
        recency.Remove(entry.Node!);
        entry.Evicted = true;
    }

    private void Return(Entry entry)
    {
        bool release;
        lock (gate) release = --entry.Users == 0 && entry.Evicted;
        if (release) DisposeWhenLoaded(entry);
    }

    /// <summary>Frees the native module; a load still running is disposed when it finishes.</summary>
    private static void DisposeWhenLoaded(Entry entry)
    {
        if (!entry.Load.IsValueCreated) return;
        if (entry.Load.Value.IsCompletedSuccessfully)
        {
            entry.Load.Value.Result.Dispose();
            return;
        }
        _ = entry.Load.Value.ContinueWith(t =>
        {
            if (t.Status == TaskStatus.RanToCompletion) t.Result.Dispose();
        }, TaskScheduler.Default);
    }

    public void Dispose()
    {
        List<Entry> all;
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            all = [.. entries.Values];
            foreach (var entry in all) Remove(entry);
        }
        foreach (var entry in all.Where(e => e.Users == 0)) DisposeWhenLoaded(entry);
    }
}
