// realcluster: a real Kubernetes control plane for kshift's tests, built from the
// published Go modules (as controller-runtime's envtest runs one, and with a small
// node simulator in place of kubelets, as kwok does).
//
//	realcluster up --dir DIR [--pod-ready-delay 500ms] [--manifests FILE]... [--deny VERB:GROUP/RESOURCE]...
//	realcluster kube-apiserver FLAGS...            (what `up` runs as a child)
//	realcluster kube-controller-manager FLAGS...   (what `up` runs as a child)
//
// `up` starts etcd (embedded), kube-apiserver and kube-controller-manager on loopback,
// writes DIR/kubeconfig (user kshift-demo, an admin unless --deny), waits for /readyz, runs the
// node simulator, loads the manifests, prints
// "serving the Kubernetes API on https://127.0.0.1:PORT" and runs until SIGTERM,
// SIGINT or the end of its standard input, then stops everything it started.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/component-base/cli"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func main() {
	// `up` starts its children with argv[0] set to the component's name, as a real
	// cluster runs them: their user agents and field managers then read
	// kube-apiserver and kube-controller-manager.
	args := os.Args[1:]
	if name := filepath.Base(os.Args[0]); name == "kube-apiserver" || name == "kube-controller-manager" {
		args = append([]string{name}, args...)
	}
	if len(args) < 1 {
		usage()
	}
	switch args[0] {
	case "kube-apiserver":
		command := apiserver.NewAPIServerCommand()
		command.SetArgs(args[1:])
		os.Exit(cli.Run(command))
	case "kube-controller-manager":
		command := controllermanager.NewControllerManagerCommand()
		command.SetArgs(args[1:])
		os.Exit(cli.Run(command))
	case "up":
		if err := up(args[1:]); err != nil {
			fmt.Fprintf(os.Stderr, "realcluster: %v\n", err)
			os.Exit(1)
		}
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: realcluster up --dir DIR [--pod-ready-delay D] [--manifests FILE]... [--deny VERB:GROUP/RESOURCE]...\n       realcluster kube-apiserver|kube-controller-manager FLAGS...")
	os.Exit(2)
}

type manifestList []string

func (m *manifestList) String() string     { return fmt.Sprint(*m) }
func (m *manifestList) Set(v string) error { *m = append(*m, v); return nil }

func up(args []string) error {
	flags := flag.NewFlagSet("up", flag.ExitOnError)
	dir := flags.String("dir", "", "working folder (certificates, etcd data, logs, kubeconfig)")
	delay := flags.Duration("pod-ready-delay", 500*time.Millisecond, "how long a bound pod takes to become Running and Ready")
	watchStdin := flags.Bool("exit-on-stdin-eof", false, "stop when standard input ends (the parent is gone)")
	var manifests manifestList
	flags.Var(&manifests, "manifests", "a YAML file to create once the cluster is ready (repeatable; CRDs first)")
	var denies manifestList
	flags.Var(&denies, "deny", "deny the kshift-demo user a verb, as VERB:GROUP/RESOURCE (repeatable), as `kshift demo --deny` does; RBAC grants it everything else")
	_ = flags.Parse(args)
	if *dir == "" {
		return fmt.Errorf("--dir is required")
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	started := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() { <-signals; cancel() }()
	if *watchStdin {
		go func() {
			buf := make([]byte, 512)
			for {
				if _, err := os.Stdin.Read(buf); err != nil {
					cancel()
					return
				}
			}
		}()
	}

	var rules []denyRule
	for _, text := range denies {
		rule, err := parseDeny(text)
		if err != nil {
			return err
		}
		rules = append(rules, rule)
	}
	pki, err := makePKI(*dir, len(rules) > 0)
	if err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	etcdPort, etcdPeerPort := ports[0], ports[1]

	etcd, err := startEtcd(filepath.Join(*dir, "etcd"), etcdPort, etcdPeerPort)
	if err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	defer etcd.Close()
	logf("etcd ready on 127.0.0.1:%d (%.1fs)", etcdPort, time.Since(started).Seconds())

	self, err := os.Executable()
	if err != nil {
		return err
	}
	var children []*child
	defer func() { stopAll(children) }()

	// The API server's port is free when asked for, but another process may take it
	// before the server binds it: then the server exits, and is started on another.
	var apiServer *child
	var url string
	kubeconfig := filepath.Join(*dir, "admin.kubeconfig")
	userKubeconfig := filepath.Join(*dir, "kubeconfig")
	logPath := filepath.Join(*dir, "kube-apiserver.log")
	for attempt := 1; ; attempt++ {
		ports, err := freePorts(1)
		if err != nil {
			return err
		}
		apiPort := ports[0]
		apiArgs := []string{
			fmt.Sprintf("--etcd-servers=http://127.0.0.1:%d", etcdPort),
			"--bind-address=127.0.0.1",
			"--advertise-address=127.0.0.1",
			fmt.Sprintf("--secure-port=%d", apiPort),
			"--cert-dir=" + filepath.Join(*dir, "apiserver"),
			"--tls-cert-file=" + pki.servingCert,
			"--tls-private-key-file=" + pki.servingKey,
			"--client-ca-file=" + pki.caCert,
			"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
			"--service-account-key-file=" + pki.saPublic,
			"--service-account-signing-key-file=" + pki.saKey,
			"--authorization-mode=Node,RBAC",
			"--service-cluster-ip-range=10.0.0.0/24",
			"--allow-privileged=true",
			"--endpoint-reconciler-type=none",
			"--profiling=false",
			"--v=1",
		}
		apiServer, err = startChild(self, "kube-apiserver", apiArgs, logPath)
		if err != nil {
			return err
		}
		children = append(children, apiServer)

		url = fmt.Sprintf("https://127.0.0.1:%d", apiPort)
		if err := writeKubeconfig(kubeconfig, url, pki.caCert, pki.adminCert, pki.adminKey); err != nil {
			return err
		}
		if err := writeKubeconfig(userKubeconfig, url, pki.caCert, pki.userCert, pki.userKey); err != nil {
			return err
		}
		err = waitReady(ctx, url, pki, apiServer.done, logPath)
		if err == nil {
			break
		}
		log, _ := os.ReadFile(logPath)
		if attempt == 3 || !strings.Contains(string(log), "address already in use") {
			return err
		}
		children = children[:len(children)-1]
		logf("kube-apiserver's port %d was taken; trying another", apiPort)
	}
	logf("kube-apiserver ready on %s (%.1fs)", url, time.Since(started).Seconds())

	kcmArgs := []string{
		"--kubeconfig=" + kubeconfig,
		"--secure-port=0",
		"--leader-elect=false",
		// No kubelet sends heartbeats: the node simulator keeps its node Ready instead.
		"--controllers=*,-node-lifecycle-controller",
		"--service-account-private-key-file=" + pki.saKey,
		"--root-ca-file=" + pki.caCert,
		"--cluster-signing-cert-file=" + pki.caCert,
		"--cluster-signing-key-file=" + pki.caKey,
		"--v=1",
	}
	controllers, err := startChild(self, "kube-controller-manager", kcmArgs, filepath.Join(*dir, "kube-controller-manager.log"))
	if err != nil {
		return err
	}
	children = append(children, controllers)

	client, dynamicClient, mapper, err := clients(kubeconfig)
	if err != nil {
		return err
	}
	if err := startNodeSimulator(ctx, client, *delay); err != nil {
		return fmt.Errorf("node simulator: %w", err)
	}
	for _, file := range manifests {
		if err := loadManifests(ctx, client, dynamicClient, mapper, file); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
	}
	if len(rules) > 0 {
		if err := grantAllBut(ctx, client, rules); err != nil {
			return fmt.Errorf("RBAC for --deny: %w", err)
		}
	}
	logf("ready (%.1fs from start)", time.Since(started).Seconds())
	fmt.Printf("kubeconfig written to %s (context kshift-demo)\n", userKubeconfig)
	fmt.Printf("serving the Kubernetes API on %s\n", url)

	select {
	case <-ctx.Done():
		return nil
	case <-apiServer.done:
		return fmt.Errorf("kube-apiserver exited; see its log in %s", *dir)
	case <-controllers.done:
		return fmt.Errorf("kube-controller-manager exited; see its log in %s", *dir)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "realcluster: "+format+"\n", args...)
}

// child is a process this launcher started; done closes when it has exited.
type child struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startChild runs this binary's subcommand with its output in a log file. The child
// dies with its parent (SIGKILL on the parent's death), so nothing is left behind.
func startChild(self, name string, args []string, logPath string) (*child, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := &exec.Cmd{Path: self, Args: append([]string{name}, args...)}
	cmd.Stdout = log
	cmd.Stderr = log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); log.Close(); close(c.done) }()
	return c, nil
}

// stopAll asks the children to stop (the last started first), then kills what is left
// after five seconds.
func stopAll(children []*child) {
	for i := len(children) - 1; i >= 0; i-- {
		_ = children[i].cmd.Process.Signal(syscall.SIGTERM)
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, c := range children {
		select {
		case <-c.done:
		case <-time.After(time.Until(deadline)):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	}
}
