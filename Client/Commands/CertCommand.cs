using OrleansLlm.Grains.Interfaces.Connection;
using System.CommandLine;

namespace OrleansLlm.Client.Commands;

/// <summary>
/// olm cert: the certificates mutual TLS needs. A cluster authority (<c>ca</c>) that issues one certificate per silo
/// and client (<c>issue</c>), or one self-signed certificate that every node shares (<c>create</c>).
/// </summary>
internal static class CertCommand
{
    public static Command Create() =>
        new("cert", """
            TLS certificates for a cluster. A silo that listens beyond loopback (--listen) needs one; so does every client of it.
              olm cert ca --out tls/ca                               a cluster authority: tls/ca.pfx (keep it offline), tls/ca.crt
              olm cert issue --ca tls/ca.pfx --name silo-a --out tls/silo-a   a node's certificate: tls/silo-a.pfx and .crt
              Silo --listen 0.0.0.0 --tls-cert tls/silo-a.pfx --tls-ca tls/ca.crt     (clients: --tls-cert tls/client.pfx --tls-ca tls/ca.crt)
            Or one shared certificate: olm cert create --out tls/cluster, then --tls-cert tls/cluster.pfx everywhere.
            """) { Authority(), Issue(), SelfSigned() };

    private static Command Authority()
    {
        var (output, name, password, days) = Common("ca", "olm-cluster-ca", 3650);
        var command = new Command("ca", "Create a cluster authority: silos and clients given its .crt (--tls-ca) accept the certificates it issues");
        foreach (var o in new Option[] { output, name, password, days }) command.Options.Add(o);
        command.SetAction((r, _) => Cli.Run(() =>
        {
            var (pfx, crt) = ClusterCertificates.CreateAuthority(r.GetValue(output)!, r.GetValue(name)!, r.GetValue(password), Days(r, days));
            Console.Out.WriteLine($"wrote {pfx} (the authority's private key: keep it offline, give it only to `olm cert issue`) and {crt} (its public part: --tls-ca on every silo and client)");
            return Task.CompletedTask;
        }));
        return command;
    }

    private static Command Issue()
    {
        var (output, name, password, days) = Common("node", "olm-node", 365);
        var authority = new Option<string>("--ca") { Description = "the authority's .pfx (from `olm cert ca`)", Required = true };
        var authorityPassword = new Option<string?>("--ca-password") { Description = "password of the authority's .pfx, if it has one" };
        var command = new Command("issue", "Issue a silo's or client's certificate from a cluster authority");
        foreach (var o in new Option[] { authority, authorityPassword, output, name, password, days }) command.Options.Add(o);
        command.SetAction((r, _) => Cli.Run(() =>
        {
            var (pfx, crt) = ClusterCertificates.Issue(r.GetValue(authority)!, r.GetValue(authorityPassword), r.GetValue(output)!,
                r.GetValue(name)!, r.GetValue(password), Days(r, days));
            Console.Out.WriteLine($"wrote {pfx} (certificate and private key: --tls-cert on that node) and {crt} (public part)");
            return Task.CompletedTask;
        }));
        return command;
    }

    private static Command SelfSigned()
    {
        var (output, name, password, days) = Common("olm-dev", "olm-cluster", 365);
        var command = new Command("create", "Create one self-signed certificate that every silo and client shares (--tls-cert)");
        foreach (var o in new Option[] { output, name, password, days }) command.Options.Add(o);
        command.SetAction((r, _) => Cli.Run(() =>
        {
            var (pfx, crt) = ClusterCertificates.CreateSelfSigned(r.GetValue(output)!, r.GetValue(name)!, r.GetValue(password), Days(r, days));
            Console.Out.WriteLine($"wrote {pfx} (certificate and private key: --tls-cert) and {crt} (public part: --tls-trust)");
            return Task.CompletedTask;
        }));
        return command;
    }

    private static (Option<string> Out, Option<string> Name, Option<string?> Password, Option<int> Days) Common(string path, string name, int days) =>
        (new Option<string>("--out") { Description = "path without extension: writes PATH.pfx (private) and PATH.crt (public)", DefaultValueFactory = _ => path },
         new Option<string>("--name") { Description = "the certificate's subject name", DefaultValueFactory = _ => name },
         new Option<string?>("--password") { Description = "password to protect the .pfx with (default: none; the file is readable by its owner only)" },
         new Option<int>("--days") { Description = "days it stays valid", DefaultValueFactory = _ => days });

    private static int Days(ParseResult r, Option<int> days)
    {
        var d = r.GetValue(days);
        return d >= 1 ? d : throw new ArgumentException($"--days must be at least 1, got {d}");
    }
}
