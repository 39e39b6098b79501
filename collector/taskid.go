package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// taskIDEnv names the variable config.yaml reads for the per-task log stream names.
const taskIDEnv = "CCSTREAM_TASK_ID"

// ensureTaskID sets CCSTREAM_TASK_ID on ECS when the task definition cannot: from the task metadata endpoint v4
// (the last segment of TaskARN). A value already set (local runs, tests) is kept. Outside ECS with no value it
// says so on stderr; config.yaml then writes to streams named with an empty id, which a reader notices at once.
func ensureTaskID() error {
	if os.Getenv(taskIDEnv) != "" {
		return nil
	}
	uri := os.Getenv("ECS_CONTAINER_METADATA_URI_V4")
	if uri == "" {
		fmt.Fprintf(os.Stderr, "warning: %s is not set and this is not an ECS task (no ECS_CONTAINER_METADATA_URI_V4)\n", taskIDEnv)
		return nil
	}
	id, err := ecsTaskID(uri)
	if err != nil {
		return err
	}
	return os.Setenv(taskIDEnv, id)
}

func ecsTaskID(uri string) (string, error) {
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(uri + "/task")
	if err != nil {
		return "", fmt.Errorf("ECS task metadata: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("ECS task metadata: HTTP %d", resp.StatusCode)
	}
	var task struct {
		TaskARN string `json:"TaskARN"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&task); err != nil {
		return "", fmt.Errorf("ECS task metadata: %w", err)
	}
	i := strings.LastIndex(task.TaskARN, "/")
	if i < 0 || i == len(task.TaskARN)-1 {
		return "", fmt.Errorf("ECS task metadata: unexpected TaskARN %q", task.TaskARN)
	}
	return task.TaskARN[i+1:], nil
}
