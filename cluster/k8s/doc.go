// Package k8s holds the Kubernetes manifests (kubectl apply -k cluster/k8s/)
// and their lint: every manifest parses and names itself, the kustomization
// lists them all, the Deployment's probes are API routes on named ports, and
// every STREAMWIDGETS_* setting is a serve flag. The Dockerfile is checked
// here too (dockerfile_test.go).
package k8s
