using OrleansLlm.Grains.Interfaces.Connection;
using System.CommandLine;
using OrleansLlm.Grains.Hosting;

namespace OrleansLlm.Client.Commands;

/// <summary>olm cert create: a self-signed development certificate for a cluster's TLS (silos and clients share it).</summary>
internal static class CertCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "path without extension: writes PATH.pfx (private) and PATH.crt (public)", DefaultValueFactory = _ => "olm-dev" };
        var name = new Option<string>("--name") { Description = "the certificate's subject name", DefaultValueFactory = _ => "olm-cluster" };
        var password = new Option<string?>("--password") { Description = "password to protect the .pfx with (default: none)" };
        var days = new Option<int>("--days") { Description = "days it stays valid", DefaultValueFactory = _ => 365 };
        var create = new Command("create", "Create a self-signed development certificate: give the .pfx to every silo and client (--tls-cert)");
        foreach (var o in new Option[] { output, name, password, days }) create.Options.Add(o);
        create.SetAction((r, _) => Cli.Run(() =>
        {
            if (r.GetValue(days) < 1) throw new ArgumentException($"--days must be at least 1, got {r.GetValue(days)}");
            var (pfx, crt) = DevCertificate.Create(r.GetValue(output)!, r.GetValue(name)!, r.GetValue(password), r.GetValue(days));
            Console.Out.WriteLine($"wrote {pfx} (certificate and private key: --tls-cert) and {crt} (public part: --tls-trust)");
            return Task.CompletedTask;
        }));
        return new Command("cert", "TLS certificates for a cluster") { create };
    }
}
