package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

// writeKubeconfig writes a kubeconfig with the context kshift-demo, like the embedded
// demo's, so that the same tests read the same user and context.
func writeKubeconfig(path, server, caCert, cert, key string) error {
	text := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kshift-demo
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: kshift-demo
  user:
    client-certificate: %s
    client-key: %s
contexts:
- name: kshift-demo
  context:
    cluster: kshift-demo
    user: kshift-demo
    namespace: default
current-context: kshift-demo
`, server, caCert, cert, key)
	return os.WriteFile(path, []byte(text), 0o600)
}

// waitReady polls /readyz with the admin certificate until it answers 200.
func waitReady(ctx context.Context, server string, p *pki, exited <-chan struct{}, logPath string) error {
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(p.caPEM)
	cert, err := tls.X509KeyPair(p.adminPEM, p.adminKPEM)
	if err != nil {
		return err
	}
	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}}},
	}
	deadline := time.Now().Add(180 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-exited:
			last = "it exited"
			deadline = time.Now()
			continue
		default:
		}
		response, err := client.Get(server + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(response.Body)
			response.Body.Close()
			if response.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%d %s", response.StatusCode, body)
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	log, _ := os.ReadFile(logPath)
	lines := strings.Split(string(log), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return fmt.Errorf("kube-apiserver not ready (last: %s); its log ends:\n%s", last, strings.Join(lines, "\n"))
}

func clients(kubeconfig string) (*kubernetes.Clientset, dynamic.Interface, meta.ResettableRESTMapper, error) {
	config, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, nil, nil, err
	}
	config.QPS = 200
	config.Burst = 400
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return nil, nil, nil, err
	}
	dynamicClient, err := dynamic.NewForConfig(config)
	if err != nil {
		return nil, nil, nil, err
	}
	cached := memory.NewMemCacheClient(discovery.NewDiscoveryClientForConfigOrDie(config))
	return client, dynamicClient, restmapper.NewDeferredDiscoveryRESTMapper(cached), nil
}

// loadManifests creates the objects of a multi-document YAML file: CRDs first (waited
// for until Established), then Namespaces, then the rest; a `status` in the file is
// written through the status subresource afterwards, as the loader of the embedded
// demo does (standing in for controllers that do not run here: Argo Rollouts, Flagger).
func loadManifests(ctx context.Context, client *kubernetes.Clientset, dyn dynamic.Interface, mapper meta.ResettableRESTMapper, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objects []*unstructured.Unstructured
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		var object map[string]any
		if err := yaml.Unmarshal(doc, &object); err != nil {
			return err
		}
		if len(object) == 0 {
			continue
		}
		objects = append(objects, &unstructured.Unstructured{Object: object})
	}
	rank := func(o *unstructured.Unstructured) int {
		switch o.GetKind() {
		case "CustomResourceDefinition":
			return 0
		case "Namespace":
			return 1
		default:
			return 2
		}
	}
	for pass := 0; pass <= 2; pass++ {
		for _, object := range objects {
			if rank(object) != pass {
				continue
			}
			if err := create(ctx, dyn, mapper, object); err != nil {
				return err
			}
		}
		if pass == 0 {
			if err := waitEstablished(ctx, dyn, objects); err != nil {
				return err
			}
			mapper.Reset()
		}
		if pass == 1 {
			// Pods are refused until their namespace's default ServiceAccount exists;
			// waiting for it spares the ReplicaSet controller's backoff.
			if err := waitServiceAccounts(ctx, client, objects); err != nil {
				return err
			}
		}
	}
	return nil
}

func create(ctx context.Context, dyn dynamic.Interface, mapper meta.ResettableRESTMapper, object *unstructured.Unstructured) error {
	gvk := object.GroupVersionKind()
	mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return fmt.Errorf("%s %s: %w", gvk.Kind, object.GetName(), err)
	}
	var resource dynamic.ResourceInterface = dyn.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		namespace := object.GetNamespace()
		if namespace == "" {
			namespace = "default"
		}
		resource = dyn.Resource(mapping.Resource).Namespace(namespace)
	}
	status, hasStatus := object.Object["status"]
	created, err := resource.Create(ctx, object, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) && object.GetKind() == "Namespace" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating %s %s/%s: %w", gvk.Kind, object.GetNamespace(), object.GetName(), err)
	}
	// Built-in kinds get their status from the controllers that run here.
	if !hasStatus || gvk.Group == "" || gvk.Group == "apps" || gvk.Group == "networking.k8s.io" {
		return nil
	}
	patch, _ := json.Marshal(map[string]any{"status": status})
	_, err = resource.Patch(ctx, created.GetName(), types.MergePatchType, patch, metav1.PatchOptions{}, "status")
	if apierrors.IsNotFound(err) {
		return nil // the kind has no status subresource: the status was stored with the object
	}
	if err != nil {
		return fmt.Errorf("status of %s %s/%s: %w", gvk.Kind, object.GetNamespace(), object.GetName(), err)
	}
	return nil
}

func waitEstablished(ctx context.Context, dyn dynamic.Interface, objects []*unstructured.Unstructured) error {
	crds := dyn.Resource(apiextensionsv1.SchemeGroupVersion.WithResource("customresourcedefinitions"))
	deadline := time.Now().Add(60 * time.Second)
	for _, object := range objects {
		if object.GetKind() != "CustomResourceDefinition" {
			continue
		}
		for {
			current, err := crds.Get(ctx, object.GetName(), metav1.GetOptions{})
			if err == nil {
				var crd apiextensionsv1.CustomResourceDefinition
				if runtime.DefaultUnstructuredConverter.FromUnstructured(current.Object, &crd) == nil && established(&crd) {
					break
				}
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("CRD %s not Established after 60s", object.GetName())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

func established(crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
			return true
		}
	}
	return false
}

func waitServiceAccounts(ctx context.Context, client *kubernetes.Clientset, objects []*unstructured.Unstructured) error {
	deadline := time.Now().Add(30 * time.Second)
	for _, object := range objects {
		if object.GetKind() != "Namespace" {
			continue
		}
		for {
			_, err := client.CoreV1().ServiceAccounts(object.GetName()).Get(ctx, "default", metav1.GetOptions{})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("no default ServiceAccount in namespace %s after 30s: %w", object.GetName(), err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}
