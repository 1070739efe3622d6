using Distillery.Data;
using Distillery.Experiments;
using Distillery.Functions.Http;
using Distillery.Storage;
using Distillery.Workflow;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Distillery.Functions;

/// <summary>The services the functions are built from (Program.cs; the tests' durable host registers the same).</summary>
public static class DistilleryServices
{
    public static IServiceCollection AddDistillery(this IServiceCollection services)
    {
        services.AddOptions<DistilleryOptions>();
        services.AddSingleton<IConfigureOptions<DistilleryOptions>, DistilleryOptionsSetup>();
        services.AddSingleton<IValidateOptions<DistilleryOptions>, DistilleryOptionsSetup>();
        services.AddSingleton<IArtifactStore>(sp =>
        {
            var store = ArtifactStoreFactory.Create(sp.GetRequiredService<IConfiguration>(), Settings(sp).ArtifactsContainer);
            store.EnsureContainerAsync().GetAwaiter().GetResult();
            return store;
        });
        services.AddExperimentSteps(sp => new ExperimentSteps(sp.GetRequiredService<IArtifactStore>(), DataOptions(Settings(sp))));
        services.AddSingleton(sp =>
        {
            var options = Settings(sp);
            return new DatasetWatcher(sp.GetRequiredService<IArtifactStore>(), DataOptions(options), options.RetrainSettings,
                options.ChampionTolerance, sp.GetRequiredService<ILoggerFactory>().CreateLogger<DatasetWatcher>());
        });
        services.AddSingleton(sp => new Distillery.Serving.ForecasterCache(sp.GetRequiredService<IArtifactStore>(),
            Settings(sp).ForecasterCacheCapacity));
        return services;
    }

    private static DistilleryOptions Settings(IServiceProvider sp) => sp.GetRequiredService<IOptions<DistilleryOptions>>().Value;

    private static DataSourceOptions DataOptions(DistilleryOptions options) =>
        new() { AllowedHosts = options.UrlAllowList, MaxBytes = options.MaxUploadBytes };
}
