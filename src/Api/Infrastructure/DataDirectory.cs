namespace EnvForge.Api.Infrastructure;

/// <summary>Where the embedded default keeps its local keys: ENVFORGE_DATA_DIR, else ~/.envforge. Never inside the database.</summary>
public static class DataDirectory
{
    public static string Resolve(IConfiguration configuration) =>
        configuration["ENVFORGE_DATA_DIR"] is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".envforge");
}
