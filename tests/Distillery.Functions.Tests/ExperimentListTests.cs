using System.Text;
using System.Text.Json;
using Distillery.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;

namespace Distillery.Tests.Functions;

/// <summary>GET /api/experiments on a hub of its own (its own fixture): every run listed once, a page at a time.</summary>
public class ExperimentListTests(ApiHost host) : IClassFixture<ApiHost>
{
    private ExperimentApi Api => new(host.Store, host.Options);

    private async Task<(int Status, string ContentType, JsonElement Json)> List(string query)
    {
        var request = ApiHost.Request("GET", "/api/experiments");
        request.QueryString = new QueryString(query);
        var (status, type, text) = ApiHost.Read(await Api.List(request, host.Durable.Client, default));
        return (status, type, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Lists_every_run_once_across_pages_newest_first_within_each()
    {
        var lines = File.ReadAllLines(RepoPaths.UsFl);
        await host.Store.WriteAsync("datasets/US_FL/tail.csv", Encoding.UTF8.GetBytes(string.Join('\n', [lines[0], .. lines[^60..]]) + "\n"));
        var ids = Enumerable.Range(0, 5).Select(i => $"list-{i}").ToList();
        foreach (var id in ids)
        {
            var body = $$"""{"runId": "{{id}}", "folds": 2, "epochs": 0, "data": "blob:datasets/US_FL/tail.csv"}""";
            Assert.Equal(202, ApiHost.Read(await Api.Start(ApiHost.Request("POST", "/api/experiments", body), host.Durable.Client, default)).Status);
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        foreach (var id in ids) await host.Durable.Client.WaitForInstanceCompletionAsync(id, cancellation: timeout.Token);

        // One page by default (20 ≥ 5), no next.
        var (status, type, all) = await List("");
        Assert.Equal(200, status);
        Assert.StartsWith("application/json", type);
        Assert.Equal(ids.Order(), all.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("id").GetString()).Order());
        Assert.Equal(JsonValueKind.Null, all.GetProperty("next").ValueKind);
        var run = all.GetProperty("runs")[0];
        Assert.Equal("ExperimentOrchestrator", run.GetProperty("name").GetString());
        Assert.Equal("Completed", run.GetProperty("runtimeStatus").GetString());
        Assert.True(run.GetProperty("lastUpdatedAt").GetDateTimeOffset() >= run.GetProperty("createdAt").GetDateTimeOffset());

        // Pages of 2, following each page's next link: every run exactly once.
        var seen = new List<string>();
        var query = "?pageSize=2";
        for (var pages = 0; query is not null; pages++)
        {
            Assert.True(pages < 5, "the pages never end");
            var (pageStatus, _, page) = await List(query);
            Assert.Equal(200, pageStatus);
            var runs = page.GetProperty("runs").EnumerateArray().ToList();
            Assert.InRange(runs.Count, 0, 2);
            var created = runs.Select(r => r.GetProperty("createdAt").GetDateTimeOffset()).ToList();
            Assert.Equal(created.OrderDescending(), created);
            seen.AddRange(runs.Select(r => r.GetProperty("id").GetString()!));
            if (page.GetProperty("next").GetString() is { } next)
            {
                var uri = new Uri(next);
                Assert.Equal("https://distillery.example/api/experiments", uri.GetLeftPart(UriPartial.Path));
                Assert.Contains($"continuationToken={page.GetProperty("continuationToken").GetString()}", uri.Query);
                query = uri.Query;
            }
            else query = null;
        }
        Assert.Equal(ids.Order(), seen.Order());
    }

    [Theory]
    [InlineData("?pageSize=0", "pageSize", "between 1 and 100, got '0'")]
    [InlineData("?pageSize=101", "pageSize", "between 1 and 100, got '101'")]
    [InlineData("?pageSize=ten", "pageSize", "got 'ten'")]
    [InlineData("?pageSize=-1", "pageSize", "got '-1'")]
    [InlineData("?pageSize=", "pageSize", "got ''")]
    [InlineData("?pageSize=2&pageSize=3", "pageSize", "give pageSize once")]
    [InlineData("?continuationToken=", "continuationToken", "of a previous page")]
    [InlineData("?continuationToken=not%20a%20token!", "continuationToken", "of a previous page")]
    [InlineData("?continuationToken=_w", "continuationToken", "of a previous page")] // base64url of a byte that is not UTF-8
    [InlineData("?continuationToken=MQ&continuationToken=Mg", "continuationToken", "give continuationToken once")]
    public async Task A_bad_query_is_a_400_problem_naming_the_field(string query, string field, string named)
    {
        var (status, type, json) = await List(query);
        Assert.Equal(400, status);
        Assert.Equal(ApiResults.ProblemJson, type);
        Assert.Contains(field, json.GetProperty("detail").GetString());
        Assert.Contains(named, json.GetProperty("errors").GetProperty(field)[0].GetString());
    }
}
