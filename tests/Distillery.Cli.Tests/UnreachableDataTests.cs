using Distillery.Cli;
using Distillery.Data;
using Distillery.Tests.Experiments;

namespace Distillery.Tests.Cli;

/// <summary>A data URL whose host keeps failing is an outage (exit 1, "unreachable"), retried first; a 404 is the
/// user's mistake (exit 2). The CLI runs with loopback http allowed and short retry delays, nothing else changed.</summary>
public class UnreachableDataTests
{
    private static readonly DataSourceOptions Loopback = new()
    {
        AllowInsecureLoopback = true,
        RequestTimeout = TimeSpan.FromSeconds(2),
        Retries = 1,
        RetryDelay = TimeSpan.FromMilliseconds(20),
    };

    private static async Task<(int Code, string Out, string Err)> Cli(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await DistilleryCli.RunAsync(args, stdout, stderr, Loopback);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Prepare_from_a_host_answering_503_exits_1_naming_it_unreachable()
    {
        using var server = LoopbackHttpServer.Status(503);
        var url = server.Url("US_XX.csv");
        using var dir = new TempDir();
        var (code, _, stderr) = await Cli("prepare", "--data", url, "--out", dir.Path);
        Assert.Equal(1, code);
        var line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("error: ", line);
        Assert.Contains($"URL {url} unreachable: HTTP 503", line);
        Assert.Equal(1 + Loopback.Retries, server.Requests); // retried by the HTTP layer
    }

    [Fact]
    public async Task A_run_on_a_host_answering_503_is_retried_then_fails_with_exit_1_and_can_be_resumed()
    {
        using var server = LoopbackHttpServer.Status(503);
        var url = server.Url("US_XX.csv");
        using var dir = new TempDir();
        var (code, _, stderr) = await Cli("run", "--data", url, "--folds", "2", "--epochs", "0", "--out", dir.Path, "--run-id", "outage");
        Assert.Equal(1, code);
        var line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains("run outage Failed", line);
        Assert.Contains($"URL {url} unreachable: HTTP 503", line);
        Assert.Contains("--resume outage", line);
        Assert.DoesNotContain("   at ", stderr);
        // The activity is retried by the workflow (3 attempts), each with the HTTP layer's own retries.
        Assert.Equal(3 * (1 + Loopback.Retries), server.Requests);
        Assert.False(File.Exists(Path.Combine(dir.Path, "runs", "outage", "results.json")));
    }

    [Fact]
    public async Task A_run_on_a_url_answering_404_is_bad_input_exit_2_and_not_retried()
    {
        using var server = LoopbackHttpServer.Status(404);
        var url = server.Url("US_XX.csv");
        using var dir = new TempDir();
        var (code, _, stderr) = await Cli("run", "--data", url, "--folds", "2", "--epochs", "0", "--out", dir.Path, "--run-id", "typo");
        Assert.Equal(2, code);
        var line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains($"URL {url} returned HTTP 404 (Not Found)", line);
        Assert.Equal(1, server.Requests);
    }
}
