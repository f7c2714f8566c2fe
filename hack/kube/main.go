// Command kube is a multi-call binary holding the control-plane components the
// local cluster needs: etcd, kube-apiserver, kube-controller-manager and
// kube-scheduler, plus kubectl (also reachable through a symlink named kubectl). One binary shares one compile and one link; each component
// still runs as its own process because their global flag sets and metric
// registries clash inside one process.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	kubectl "k8s.io/kubectl/pkg/cmd"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
)

const usage = "usage: kube etcd|apiserver|controller-manager|scheduler|kubectl [flags]"

func main() {
	// Called through a symlink named kubectl: behave as kubectl.
	if filepath.Base(os.Args[0]) == "kubectl" {
		os.Exit(runKubectl())
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	component, args := os.Args[1], os.Args[2:]
	// Each component parses os.Args itself; present it as if it were its own binary.
	os.Args = append([]string{filepath.Join(filepath.Dir(os.Args[0]), component)}, args...)
	switch component {
	case "etcd":
		etcdmain.Main(os.Args)
	case "apiserver":
		os.Exit(cli.Run(apiserver.NewAPIServerCommand()))
	case "controller-manager":
		os.Exit(cli.Run(controllermanager.NewControllerManagerCommand()))
	case "scheduler":
		os.Exit(cli.Run(scheduler.NewSchedulerCommand()))
	case "kubectl":
		os.Exit(runKubectl())
	default:
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
}

func runKubectl() int {
	if err := cli.RunNoErrOutput(kubectl.NewDefaultKubectlCommand()); err != nil {
		// kubectl has already printed the error in its own format.
		return 1
	}
	return 0
}
