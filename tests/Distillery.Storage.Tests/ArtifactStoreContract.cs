using System.Collections.Concurrent;
using Distillery.Storage;

namespace Distillery.Storage.Tests;

/// <summary>What every <see cref="IArtifactStore"/> must do; each subclass runs it against one implementation, each test on a fresh store.</summary>
public abstract class ArtifactStoreContract : IAsyncLifetime
{
    private IArtifactStore? store;
    protected IArtifactStore Store => store ?? throw new InvalidOperationException("store not created");

    protected abstract Task<IArtifactStore> CreateStoreAsync();
    protected abstract Task DeleteStoreAsync(IArtifactStore store);

    public async Task InitializeAsync() => store = await CreateStoreAsync();
    public async Task DisposeAsync()
    {
        if (store is not null) await DeleteStoreAsync(store);
    }

    protected static byte[] Payload(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(5 * 1024 * 1024 + 17)]
    public async Task Write_then_read_returns_the_exact_bytes(int length)
    {
        var content = Payload(length, length);
        await Store.WriteAsync("runs/r1/model.bin", content);

        Assert.True(await Store.ExistsAsync("runs/r1/model.bin"));
        var read = await Store.ReadAsync("runs/r1/model.bin");
        Assert.NotNull(read);
        Assert.Equal(content.Length, read.Length);
        Assert.True(content.AsSpan().SequenceEqual(read));
    }

    [Fact]
    public async Task Missing_artifact_reads_null_and_does_not_exist()
    {
        Assert.Null(await Store.ReadAsync("runs/none/results.json"));
        Assert.False(await Store.ExistsAsync("runs/none/results.json"));

        await Store.WriteAsync("runs/some/results.json", new byte[] { 1, 2, 3 });
        Assert.Null(await Store.ReadAsync("runs/some/other.json"));
        Assert.False(await Store.ExistsAsync("runs/some"));
    }

    [Fact]
    public async Task Overwrite_replaces_the_whole_content()
    {
        await Store.WriteAsync("a/b.bin", Payload(10_000, 1));
        var shorter = Payload(10, 2);
        await Store.WriteAsync("a/b.bin", shorter);

        Assert.Equal(shorter, await Store.ReadAsync("a/b.bin"));
        Assert.Equal(["a/b.bin"], await Store.ListAsync("a/"));
    }

    [Fact]
    public async Task Delete_removes_once()
    {
        await Store.WriteAsync("a/b.json", "{}"u8.ToArray());

        Assert.True(await Store.DeleteAsync("a/b.json"));
        Assert.False(await Store.ExistsAsync("a/b.json"));
        Assert.Null(await Store.ReadAsync("a/b.json"));
        Assert.False(await Store.DeleteAsync("a/b.json"));
        Assert.False(await Store.DeleteAsync("never/written.json"));
        Assert.Empty(await Store.ListAsync("a/"));
    }

    [Fact]
    public async Task List_returns_exactly_the_paths_under_a_prefix_in_ordinal_order()
    {
        string[] paths = ["runs/a/y.bin", "runs/b/1", "runs/a/x.json", "other/runs/a/z", "runs/ab/z", "runs/a/B", "runs/a/sub/deep.csv", "runs/A/upper", "runs.json"];
        foreach (var path in paths) await Store.WriteAsync(path, new byte[] { 42 });

        Assert.Equal(["runs/a/B", "runs/a/sub/deep.csv", "runs/a/x.json", "runs/a/y.bin"], await Store.ListAsync("runs/a/"));
        Assert.Equal(["runs/a/B", "runs/a/sub/deep.csv", "runs/a/x.json", "runs/a/y.bin", "runs/ab/z"], await Store.ListAsync("runs/a"));
        Assert.Equal(["runs/A/upper", "runs/a/B", "runs/a/sub/deep.csv", "runs/a/x.json", "runs/a/y.bin", "runs/ab/z", "runs/b/1"], await Store.ListAsync("runs/"));
        Assert.Equal(paths.Order(StringComparer.Ordinal), await Store.ListAsync(""));
        Assert.Empty(await Store.ListAsync("runs/c/"));
        Assert.Empty(await Store.ListAsync("nothing"));
    }

    public sealed record Sample(string Name, double Loss, double[] Curve, SampleKind Kind, DateTimeOffset At);
    public enum SampleKind { Teacher, Student }

    [Fact]
    public async Task Json_helpers_round_trip()
    {
        var value = new Sample("student-1", 0.125, [1.5, double.NaN, double.PositiveInfinity], SampleKind.Student, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        await Store.WriteJsonAsync("runs/r/results.json", value);

        var read = await Store.ReadJsonAsync<Sample>("runs/r/results.json");
        Assert.NotNull(read);
        Assert.Equal(value.Name, read.Name);
        Assert.Equal(value.Loss, read.Loss);
        Assert.Equal(value.Curve, read.Curve);
        Assert.Equal(value.Kind, read.Kind);
        Assert.Equal(value.At, read.At);
        Assert.Contains("\"student\"", System.Text.Encoding.UTF8.GetString((await Store.ReadAsync("runs/r/results.json"))!));
        Assert.Null(await Store.ReadJsonAsync<Sample>("runs/r/missing.json"));
    }

    public static TheoryData<string> InvalidPaths => ["../x", "/abs", "a//b", "a/%2F/b", "", " ", "a/../b", "./a", "a/", "a\\b"];

    [Theory]
    [MemberData(nameof(InvalidPaths))]
    public async Task Invalid_paths_are_rejected_naming_the_path(string path)
    {
        var operations = new Func<Task>[]
        {
            () => Store.WriteAsync(path, new byte[] { 1 }),
            () => Store.ReadAsync(path),
            () => Store.ExistsAsync(path),
            () => Store.DeleteAsync(path),
            () => Store.WriteJsonAsync(path, new { a = 1 }),
        };
        foreach (var operation in operations)
        {
            var ex = await Assert.ThrowsAsync<InvalidInputException>(operation);
            Assert.Contains(string.IsNullOrWhiteSpace(path) ? "empty" : $"'{path}'", ex.Message);
        }
        Assert.Empty(await Store.ListAsync(""));
    }

    /// <summary>Writer i writes a payload of its own length filled with byte i, so any mix or truncation is visible.</summary>
    private static byte[] WriterPayload(int writer, int baseLength) => Enumerable.Repeat((byte)(writer + 1), baseLength + writer * 4099).ToArray();

    private static void AssertOneWritersPayload(byte[]? read, int writers, int baseLength)
    {
        Assert.NotNull(read);
        Assert.NotEmpty(read);
        var writer = read[0] - 1;
        Assert.InRange(writer, 0, writers - 1);
        Assert.Equal(WriterPayload(writer, baseLength).Length, read.Length);
        Assert.True(read.AsSpan().IndexOfAnyExcept(read[0]) < 0, $"payload mixes writers (starts with writer {writer})");
    }

    [Theory]
    [InlineData(8, 256 * 1024, 4)]
    [InlineData(4, 9 * 1024 * 1024, 1)] // larger than one block: staged and committed in blob storage
    public async Task Concurrent_writers_leave_one_complete_payload_and_readers_never_see_a_partial(int writers, int baseLength, int rounds)
    {
        const string path = "runs/r/model.bin";
        var payloads = Enumerable.Range(0, writers).Select(i => WriterPayload(i, baseLength)).ToArray();
        var seen = new ConcurrentBag<byte[]>();
        var listings = new ConcurrentBag<IReadOnlyList<string>>();

        for (var round = 0; round < rounds; round++)
        {
            using var done = new CancellationTokenSource();
            var observer = Task.Run(async () =>
            {
                while (!done.IsCancellationRequested)
                {
                    if (await Store.ReadAsync(path) is { } read) seen.Add(read);
                    listings.Add(await Store.ListAsync("runs/"));
                }
            });
            await Task.WhenAll(payloads.Select(p => Task.Run(() => Store.WriteAsync(path, p))));
            done.Cancel();
            await observer;

            AssertOneWritersPayload(await Store.ReadAsync(path), writers, baseLength);
        }

        foreach (var read in seen) AssertOneWritersPayload(read, writers, baseLength);
        Assert.NotEmpty(listings);
        foreach (var listing in listings)
            Assert.True(listing.Count == 0 || listing.SequenceEqual([path]), $"listing showed [{string.Join(", ", listing)}]");
        Assert.Equal([path], await Store.ListAsync(""));
    }

    /// <summary>The study protocol's race: up to five student steps find the teacher missing and write it at once
    /// (here with different content, the worst case). An artifact and its hash must never disagree.</summary>
    [Theory]
    [InlineData(5, 64 * 1024, 12)]
    [InlineData(3, 5 * 1024 * 1024, 2)] // staged and committed in blob storage
    public async Task Concurrent_hashed_writers_leave_a_verified_pair_and_racing_readers_never_see_a_mismatch(int writers, int baseLength, int rounds)
    {
        const string path = "runs/r/models/teacher-fold1.pt";
        var payloads = Enumerable.Range(0, writers).Select(i => WriterPayload(i, baseLength)).ToArray();
        var seen = new ConcurrentBag<CheckedArtifact>();
        for (var round = 0; round < rounds; round++)
        {
            using var done = new CancellationTokenSource();
            var reader = Task.Run(async () =>
            {
                do seen.Add(await Store.ReadCheckedAsync(path));
                while (!done.IsCancellationRequested);
            });
            await Task.WhenAll(payloads.Select(p => Task.Run(() => Store.WriteHashedAsync(path, p))));
            done.Cancel();
            await reader;

            var final = await Store.ReadCheckedAsync(path);
            Assert.True(final.IsVerified, $"round {round}: {final.Describe()}");
            AssertOneWritersPayload(final.Content, writers, baseLength);
            // The sidecar file itself (what sha256sum -c reads) agrees with the artifact.
            var sidecar = System.Text.Encoding.ASCII.GetString((await Store.ReadAsync(ContentHash.SidecarOf(path)))!);
            Assert.Equal($"{ContentHash.Of((await Store.ReadAsync(path))!)}  teacher-fold1.pt\n", sidecar);
        }
        Assert.Equal([path, ContentHash.SidecarOf(path)], await Store.ListAsync("")); // nothing else (no lock files)
        Assert.NotEmpty(seen);
        foreach (var read in seen)
        {
            Assert.True(read.Status is ArtifactCheck.Missing or ArtifactCheck.Verified, read.Describe());
            if (read.IsVerified)
            {
                AssertOneWritersPayload(read.Content, writers, baseLength);
                Assert.Equal(ContentHash.Of(read.Content), read.Expected);
            }
        }
    }

    [Fact]
    public async Task Replace_succeeds_only_at_the_version_read()
    {
        const string path = "state/US_FL.json";
        Assert.Null(await Store.ReadVersionedAsync(path));
        Assert.False(await Store.TryReplaceAsync(path, "{}"u8.ToArray(), "some-version")); // nothing at that version
        Assert.True(await Store.TryReplaceAsync(path, "{\"a\":1}"u8.ToArray(), null)); // created: it was absent
        Assert.False(await Store.TryReplaceAsync(path, "{\"a\":2}"u8.ToArray(), null)); // not absent any more

        var first = (await Store.ReadVersionedAsync(path))!;
        Assert.Equal("{\"a\":1}"u8.ToArray(), first.Content);
        Assert.True(await Store.TryReplaceAsync(path, "{\"a\":3}"u8.ToArray(), first.Version));
        // A writer still holding the first version lost: its change would undo the one made meanwhile.
        Assert.False(await Store.TryReplaceAsync(path, "{\"a\":4}"u8.ToArray(), first.Version));
        var second = (await Store.ReadVersionedAsync(path))!;
        Assert.Equal("{\"a\":3}"u8.ToArray(), second.Content);
        Assert.NotEqual(first.Version, second.Version);
        // A plain write changes the version too.
        await Store.WriteAsync(path, "{\"a\":5}"u8.ToArray());
        Assert.False(await Store.TryReplaceAsync(path, "{\"a\":6}"u8.ToArray(), second.Version));
        Assert.Equal("{\"a\":5}"u8.ToArray(), await Store.ReadAsync(path));
        Assert.Equal([path], await Store.ListAsync(""));
    }

    [Fact]
    public async Task Concurrent_read_modify_writes_with_retry_lose_no_update()
    {
        const string path = "state/counter.json";
        const int workers = 6, increments = 8;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < increments; i++)
                while (true)
                {
                    var read = await Store.ReadVersionedAsync(path);
                    var value = read is null ? 0 : int.Parse(System.Text.Encoding.ASCII.GetString(read.Content));
                    if (await Store.TryReplaceAsync(path, System.Text.Encoding.ASCII.GetBytes($"{value + 1}"), read?.Version)) break;
                }
        })));
        Assert.Equal($"{workers * increments}", System.Text.Encoding.ASCII.GetString((await Store.ReadAsync(path))!));
    }

    [Fact]
    public async Task Many_paths_written_concurrently_are_all_listed()
    {
        var paths = Enumerable.Range(0, 40).Select(i => $"runs/r/shard-{i:D3}.bin").ToArray();
        await Task.WhenAll(paths.Select((p, i) => Task.Run(() => Store.WriteAsync(p, Payload(2048, i)))));

        Assert.Equal(paths, await Store.ListAsync("runs/r/"));
        for (var i = 0; i < paths.Length; i++) Assert.Equal(Payload(2048, i), await Store.ReadAsync(paths[i]));
    }

    [Fact]
    public async Task Create_new_succeeds_for_exactly_one_of_concurrent_callers()
    {
        var payloads = Enumerable.Range(0, 8).Select(i => Enumerable.Repeat((byte)(i + 1), 1000 + i).ToArray()).ToArray();
        var won = await Task.WhenAll(payloads.Select(p => Task.Run(() => Store.CreateNewAsync("claims/one.json", p))));
        var winner = Assert.Single(Enumerable.Range(0, 8), i => won[i]);
        Assert.Equal(payloads[winner], await Store.ReadAsync("claims/one.json"));
        Assert.False(await Store.CreateNewAsync("claims/one.json", payloads[0]));
        Assert.Equal(["claims/one.json"], await Store.ListAsync("claims/"));
    }

    [Fact]
    public async Task Versions_change_when_an_artifact_is_rewritten()
    {
        var versioned = Assert.IsAssignableFrom<IVersionedArtifactStore>(Store);
        Assert.Null(await versioned.VersionAsync("v/a.csv"));
        await Store.WriteAsync("v/a.csv", new byte[] { 1 });
        var first = await versioned.VersionAsync("v/a.csv");
        Assert.NotNull(first);
        Assert.Equal(first, await versioned.VersionAsync("v/a.csv"));
        await Task.Delay(20);
        await Store.WriteAsync("v/a.csv", new byte[] { 1, 2 });
        Assert.NotEqual(first, await versioned.VersionAsync("v/a.csv"));
    }
}
