using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Distillery.Data;

namespace Distillery.Tests.Data;

/// <summary>A data host that fails: transient faults (5xx, resets, timeouts) are retried and reported as
/// unreachable, never as bad input; a 404 is bad input and not retried.</summary>
public class DataSourceFaultTests
{
    /// <summary>Quick retries; a per-attempt timeout long enough that a loaded machine (CI runs test assemblies side
    /// by side) never times an attempt out before the server has read it, which would leave the count short.</summary>
    private static readonly DataSourceOptions Fast = new()
    {
        AllowInsecureLoopback = true,
        RequestTimeout = TimeSpan.FromSeconds(10),
        Retries = 2,
        RetryDelay = TimeSpan.FromMilliseconds(20),
    };

    /// <summary>For the host that never answers: the timeout is what is under test, so it is short — but not so short
    /// that a loaded machine times an attempt out before the server has read it (500 ms left the count at 2 of 3 in a
    /// CI run with the test assemblies side by side).</summary>
    private static readonly DataSourceOptions ShortTimeout = Fast with { RequestTimeout = TimeSpan.FromSeconds(2) };

    private static void AssertTransient(Exception e, string url, string cause)
    {
        Assert.IsNotType<InvalidInputException>(e);
        Assert.IsAssignableFrom<IOException>(e);
        Assert.Contains($"URL {url} unreachable", e.Message);
        Assert.Contains(cause, e.Message);
    }

    [Fact]
    public async Task A_503_then_200_is_retried_and_succeeds()
    {
        await using var server = new FaultyHttpServer(failures: 1);
        var table = await DataSource.LoadAsync(server.Url("/flaky.csv"), Fast);
        Assert.Equal(405, table.Rows.Count);
        Assert.Equal(2, server.Count("/flaky.csv"));
    }

    [Fact]
    public async Task A_host_that_keeps_answering_503_is_unreachable_after_the_retries()
    {
        await using var server = new FaultyHttpServer();
        var e = await Assert.ThrowsAnyAsync<Exception>(() => DataSource.LoadAsync(server.Url("/down.csv"), Fast));
        AssertTransient(e, server.Url("/down.csv"), "HTTP 503");
        Assert.Equal(1 + Fast.Retries, server.Count("/down.csv"));
    }

    [Fact]
    public async Task A_connection_reset_is_unreachable_after_the_retries()
    {
        await using var server = new FaultyHttpServer();
        var e = await Assert.ThrowsAnyAsync<Exception>(() => DataSource.LoadAsync(server.Url("/reset.csv"), Fast));
        AssertTransient(e, server.Url("/reset.csv"), "");
        Assert.Equal(1 + Fast.Retries, server.Count("/reset.csv"));
    }

    [Fact]
    public async Task A_connection_reset_while_downloading_the_body_is_unreachable()
    {
        await using var server = new FaultyHttpServer();
        var e = await Assert.ThrowsAnyAsync<Exception>(() => DataSource.LoadAsync(server.Url("/reset-body.csv"), Fast));
        AssertTransient(e, server.Url("/reset-body.csv"), "");
    }

    [Fact]
    public async Task A_host_that_never_answers_times_out_as_unreachable()
    {
        await using var server = new FaultyHttpServer();
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAnyAsync<Exception>(() => DataSource.LoadAsync(server.Url("/hang.csv"), ShortTimeout));
        AssertTransient(e, server.Url("/hang.csv"), "timed out");
        Assert.Equal(1 + Fast.Retries, server.Count("/hang.csv"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_404_is_bad_input_and_not_retried()
    {
        await using var server = new FaultyHttpServer();
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => DataSource.LoadAsync(server.Url("/missing.csv"), Fast));
        Assert.Equal($"URL {server.Url("/missing.csv")} returned HTTP 404 (Not Found)", e.Message);
        Assert.Equal(1, server.Count("/missing.csv"));
    }

    [Fact]
    public async Task Nothing_listening_is_unreachable()
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); port = ((IPEndPoint)l.LocalEndpoint).Port; l.Stop(); }
        var url = $"http://127.0.0.1:{port}/US_FL.csv";
        var e = await Assert.ThrowsAnyAsync<Exception>(() => DataSource.LoadAsync(url, Fast));
        AssertTransient(e, url, "");
    }

    /// <summary>HTTP/1.1 on 127.0.0.1, one request per connection: /flaky.csv answers 503 <c>failures</c> times, then
    /// the CSV; /down.csv always 503; /reset.csv resets the connection; /reset-body.csv resets it halfway through the
    /// body; /hang.csv never answers; anything else 404.</summary>
    public sealed class FaultyHttpServer : IAsyncDisposable
    {
        private readonly RawHttpServer server;
        private readonly byte[] csv = File.ReadAllBytes(RepoPaths.UsFl);
        private readonly ConcurrentDictionary<string, int> counts = new();
        private int failuresLeft;

        public FaultyHttpServer(int failures = 0)
        {
            failuresLeft = failures;
            server = new RawHttpServer(ServeAsync);
        }

        public int Port => server.Port;
        public string Url(string path) => server.Url(path);
        public int Count(string path) => counts.GetValueOrDefault(path);

        private async Task ServeAsync(RawRequest request)
        {
            counts.AddOrUpdate(request.Path, 1, (_, n) => n + 1);
            switch (request.Path)
            {
                case "/flaky.csv" when Interlocked.Decrement(ref failuresLeft) < 0:
                    await request.AnswerAsync("200 OK", csv);
                    break;
                case "/flaky.csv" or "/down.csv":
                    await request.AnswerAsync("503 Service Unavailable", Encoding.ASCII.GetBytes("busy"));
                    break;
                case "/reset.csv":
                    request.Reset();
                    break;
                case "/reset-body.csv":
                    await request.Stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {csv.Length}\r\nConnection: close\r\n\r\n"));
                    await request.Stream.WriteAsync(csv.AsMemory(0, csv.Length / 2));
                    await request.Stream.FlushAsync();
                    await Task.Delay(50);
                    request.Reset();
                    break;
                case "/hang.csv":
                    await Task.Delay(Timeout.Infinite, request.Stopping);
                    break;
                default:
                    await request.AnswerAsync("404 Not Found", Encoding.ASCII.GetBytes("nope"));
                    break;
            }
        }

        public ValueTask DisposeAsync() => server.DisposeAsync();
    }
}
