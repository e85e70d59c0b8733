using EnvForge.Workflows.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Temporalio.Worker;

namespace EnvForge.Workflows.Wallet;

/// <summary>Adds the top-up and refund workflows, their activities and the runtime meter's activities to the in-process worker.</summary>
public sealed class WalletWorker : IWorkerRegistration
{
    public void Register(TemporalWorkerOptions options, IServiceProvider services) => options
        .AddWorkflow<WalletTopUpWorkflow>()
        .AddWorkflow<WalletRefundWorkflow>()
        .AddAllActivities(services.GetRequiredService<WalletActivities>())
        .AddAllActivities(services.GetRequiredService<RuntimeMeterActivities>());
}

public static class WalletWorkflowRegistration
{
    /// <summary>Stripe and wallet options, the Stripe client, the wallet's queue, its workflow client, activities and worker.</summary>
    public static IServiceCollection AddWalletWorkflows(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StripeOptions>().Bind(configuration.GetSection(StripeOptions.Section));
        services.AddOptions<WalletOptions>().Bind(configuration.GetSection(WalletOptions.Section));
        services.TryAddSingleton<IStripePayments, StripePayments>();
        services.TryAddSingleton<IWalletWorkflows, WalletWorkflows>();
        services.TryAddSingleton<WalletCommandQueue>();
        services.AddSingleton<WalletActivities>();
        services.AddSingleton<RuntimeMeterActivities>();
        services.AddSingleton<IWorkerRegistration, WalletWorker>();
        return services;
    }
}
